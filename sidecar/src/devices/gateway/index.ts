export { DeviceGateway, type DeviceGatewayOptions, type GatewayTlsFiles } from './server';
export { Authenticator, TokenBucket } from './auth';
export { GatewayError, InvalidArgument, PermissionDenied, RateLimited, Unauthenticated, Unavailable, toGrpcStatus } from './errors';
export { UpdatePublisher, UPDATES_QUEUE, declareUpdatesQueue, type ConfirmChannelSource } from './publisher';
export { defaultRelevance, type RelevanceFactory, type RelevanceStream, type StreamContext } from './relevance';
