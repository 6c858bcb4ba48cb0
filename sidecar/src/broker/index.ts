export { Broker, type SetupFn } from './connection';
export { declareTopology, TOPOLOGY, type TopologyNames, EVENTS_EXCHANGE, UNROUTABLE_EXCHANGE, UNROUTABLE_QUEUE } from './topology';
export { ConfirmPublisher, PublishError, type ConfirmChannelSource, type ConfirmPublisherOptions, type PublishFailure, type PublishRequest } from './publisher';
export { ConfirmWindow } from './window';
