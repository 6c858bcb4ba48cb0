/**
 * Every RabbitMQ interaction of the bridge (docs/broker.md): the connection, the topology, the one
 * confirm publisher and the one consumer helper. Nothing outside this folder imports amqplib.
 */
export { Broker } from './connection';
export {
  declareTopology,
  declareQueue,
  verifyTopology,
  consumedQueue,
  parkingQueue,
  updatesQueue,
  workQueue,
  TOPOLOGY,
  DELIVERY_LIMIT,
  EVENTS_EXCHANGE,
  UNROUTABLE_EXCHANGE,
  UNROUTABLE_QUEUE,
  UPDATES_QUEUE,
  UPDATES_DEAD_QUEUE,
  DEAD_QUEUES,
  DEVICE_WORK_QUEUE,
  WORK_ROUTING_KEY,
  VOID_ROUTING_KEYS,
  WITHDRAWN_ROUTING_KEY,
  WORK_PREFIX,
  workPrefix,
  poolNames,
  poolQueue,
  declarePools,
  voidsStream,
  brokerMajor,
  queueArguments,
  type PoolNames,
  PARTNER_UPDATES_EXCHANGE,
  PARTNER_UPDATES_QUEUE,
  partnerIngressQueue,
  declarePartnerExchange,
  type TopologyNames,
  type QueueSpec,
  type ChannelSource,
  type Declared,
} from './topology';
export {
  ConfirmPublisher,
  PublishError,
  type ConfirmChannelSource,
  type ConfirmPublisherOptions,
  type PublisherMode,
  type PublishFailure,
  type PublishOptions,
  type PublishRequest,
} from './publisher';
export { Consumer, ACK, REQUEUE, DROP, RELEASE, deadLetter, DEAD_LETTER_HEADERS, type ConsumerOptions, type ConsumerSource, type Delivery, type Handler, type MessageProperties, type Outcome } from './consumer';
export { ConfirmWindow } from './window';
export { UpdatePublisher, buildUpdateMessage, UNDURABLE_REASON, type UpdateMeta, type UpdatesSource, type UpdatePublisherOptions } from './update-publisher';
export { deadLetterId, describeDeadLetter, replayOptions, keepOptions, prettyBody, type DeadLetter } from './dead-letter';
export { DeadLetterQueue, type ReplayOptions, type ReplayResult } from './dead-letters';
export { DeadLetterDepth, type DeadLetterDepthOptions } from './dead-letter-depth';
