/**
 * VDA 5050 2.0 messages (the parts this project sends and reads), as zod schemas for the boundaries:
 * master control parses `state` and `connection`, the simulated AGV parses `order` and
 * `instantActions`. Written from the standard's text and JSON schemas (VDA5050/VDA5050, branch
 * release/2.0.0); the tests check every message against the standard's schemas as compiled by the
 * npm package `vda-5050-lib`.
 */
import { z } from 'zod';

export const VDA_VERSION = '2.0.0';
export const INTERFACE_NAME = 'uagv';
export const MAJOR_VERSION = 'v2';

export type Subtopic = 'order' | 'instantActions' | 'state' | 'connection';

/** `uagv/v2/<manufacturer>/<serialNumber>/<topic>` (6.3); `/` and `$` are not allowed in the fields. */
export function topicOf(manufacturer: string, serialNumber: string, subtopic: Subtopic, interfaceName = INTERFACE_NAME): string {
  return `${interfaceName}/${MAJOR_VERSION}/${manufacturer}/${serialNumber}/${subtopic}`;
}

/** The inverse of `topicOf`, or undefined for a topic of another shape. */
export function parseTopic(topic: string): { interfaceName: string; manufacturer: string; serialNumber: string; subtopic: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[1] !== MAJOR_VERSION) return undefined;
  const [interfaceName, , manufacturer, serialNumber, subtopic] = parts as [string, string, string, string, string];
  return { interfaceName, manufacturer, serialNumber, subtopic };
}

/** Serial numbers may hold A-Z a-z 0-9 _ . : - (6.3). */
export const SERIAL_NUMBER = /^[A-Za-z0-9_.:-]+$/;

const header = {
  headerId: z.number().int().min(0),
  timestamp: z.iso.datetime({ offset: true }),
  version: z.string(),
  manufacturer: z.string(),
  serialNumber: z.string(),
};

export interface Header {
  headerId: number;
  timestamp: string;
  version: string;
  manufacturer: string;
  serialNumber: string;
}

const actionParameter = z.object({ key: z.string(), value: z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown())]) });
export type ActionParameter = z.infer<typeof actionParameter>;

const action = z.object({
  actionType: z.string(),
  actionId: z.string(),
  actionDescription: z.string().optional(),
  blockingType: z.enum(['NONE', 'SOFT', 'HARD']),
  actionParameters: z.array(actionParameter).optional(),
});
export type Action = z.infer<typeof action>;

const nodePosition = z.object({
  x: z.number(),
  y: z.number(),
  theta: z.number().min(-Math.PI).max(Math.PI).optional(),
  allowedDeviationXY: z.number().min(0).optional(),
  allowedDeviationTheta: z.number().optional(),
  mapId: z.string(),
  mapDescription: z.string().optional(),
});
export type NodePosition = z.infer<typeof nodePosition>;

const node = z.object({
  nodeId: z.string(),
  sequenceId: z.number().int().min(0),
  nodeDescription: z.string().optional(),
  released: z.boolean(),
  nodePosition: nodePosition.optional(),
  actions: z.array(action),
});
export type OrderNode = z.infer<typeof node>;

const edge = z.object({
  edgeId: z.string(),
  sequenceId: z.number().int().min(0),
  edgeDescription: z.string().optional(),
  released: z.boolean(),
  startNodeId: z.string(),
  endNodeId: z.string(),
  maxSpeed: z.number().optional(),
  length: z.number().optional(),
  actions: z.array(action),
});
export type OrderEdge = z.infer<typeof edge>;

export const orderSchema = z.object({
  ...header,
  orderId: z.string(),
  orderUpdateId: z.number().int().min(0),
  zoneSetId: z.string().optional(),
  nodes: z.array(node),
  edges: z.array(edge),
});
export type Order = z.infer<typeof orderSchema>;

export const instantActionsSchema = z.object({ ...header, actions: z.array(action) });
export type InstantActions = z.infer<typeof instantActionsSchema>;

export const ACTION_STATUSES = ['WAITING', 'INITIALIZING', 'RUNNING', 'PAUSED', 'FINISHED', 'FAILED'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

const reference = z.object({ referenceKey: z.string(), referenceValue: z.string() });
const vdaError = z.object({
  errorType: z.string(),
  errorReferences: z.array(reference).optional(),
  errorDescription: z.string().optional(),
  errorLevel: z.enum(['WARNING', 'FATAL']),
});
export type VdaError = z.infer<typeof vdaError>;

const actionState = z.object({
  actionId: z.string(),
  actionType: z.string().optional(),
  actionDescription: z.string().optional(),
  actionStatus: z.enum(ACTION_STATUSES),
  resultDescription: z.string().optional(),
});
export type ActionState = z.infer<typeof actionState>;

const agvPosition = z.object({
  x: z.number(),
  y: z.number(),
  theta: z.number(),
  mapId: z.string(),
  mapDescription: z.string().optional(),
  positionInitialized: z.boolean(),
  localizationScore: z.number().optional(),
  deviationRange: z.number().optional(),
});
export type AgvPosition = z.infer<typeof agvPosition>;

/** Unknown optional members (loads, information, velocity …) pass through: master control ignores them. */
export const stateSchema = z.looseObject({
  ...header,
  orderId: z.string(),
  orderUpdateId: z.number().int().min(0),
  lastNodeId: z.string(),
  lastNodeSequenceId: z.number().int().min(0),
  nodeStates: z.array(z.looseObject({ nodeId: z.string(), sequenceId: z.number().int(), released: z.boolean() })),
  edgeStates: z.array(z.looseObject({ edgeId: z.string(), sequenceId: z.number().int(), released: z.boolean() })),
  agvPosition: agvPosition.optional(),
  driving: z.boolean(),
  paused: z.boolean().optional(),
  actionStates: z.array(actionState),
  batteryState: z.looseObject({ batteryCharge: z.number(), charging: z.boolean() }),
  operatingMode: z.enum(['AUTOMATIC', 'SEMIAUTOMATIC', 'MANUAL', 'SERVICE', 'TEACHIN']),
  errors: z.array(vdaError),
  safetyState: z.object({ eStop: z.enum(['AUTOACK', 'MANUAL', 'REMOTE', 'NONE']), fieldViolation: z.boolean() }),
});
export type State = z.infer<typeof stateSchema>;

export const CONNECTION_STATES = ['ONLINE', 'OFFLINE', 'CONNECTIONBROKEN'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];
export const connectionSchema = z.object({ ...header, connectionState: z.enum(CONNECTION_STATES) });
export type Connection = z.infer<typeof connectionSchema>;

/** "where: message" lines of a zod failure, for the error a bad message is answered with. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
