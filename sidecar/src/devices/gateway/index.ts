export { DeviceGateway, type DeviceGatewayOptions, type GatewayTlsFiles } from './server';
export { Authenticator, TokenBucket } from './auth';
export { GatewayError, InvalidArgument, PermissionDenied, RateLimited, Unauthenticated, Unavailable, toGrpcStatus } from './errors';
export { UpdatePublisher, buildUpdateMessage, type UpdateMeta, type UpdatesSource } from './publisher';
export { GatewayMetrics } from './metrics';
export { StreamStateMap } from './state';
export { defaultRelevance, type RelevanceFactory, type RelevanceStream, type StreamContext } from './relevance';
