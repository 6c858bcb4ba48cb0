export { DeviceGateway, type DeviceGatewayOptions, type GatewayTlsFiles } from './server';
export { Authenticator, parseGatewayTokens, gatewayTokensSchema, TokenBucket, type GatewayTokens, type AdapterCredential } from './auth';
export { GatewayError, InvalidArgument, PermissionDenied, RateLimited, Unauthenticated, Unavailable, toGrpcStatus } from './errors';
export { parseAdapterMessage, fieldPath, FAMILIES, type Family, type Telemetry, type ParsedMessage } from './schemas';
/** The SSCC check used by the schemas, under the name the gateway has always exported. */
export { hasValidCheckDigit as gs1CheckDigitValid } from '../relevance/gs1';
export { UpdatePublisher, buildUpdateMessage, type UpdateMeta, type UpdatesSource } from './publisher';
export { GatewayMetrics } from './metrics';
export { defaultRelevance, type RelevanceFactory, type RelevanceStream, type StreamContext } from './relevance';
export { loadServices, LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './proto';
export { SERVICE_NAMES } from '../contract';
