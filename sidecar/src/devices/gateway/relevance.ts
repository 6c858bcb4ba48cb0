import { createRelevance, type RelevanceStream } from '../relevance';
import type { Family } from '@logistics-bridge/contract';

export type { RelevanceStream };

export interface StreamContext {
  family: Family;
  adapterId: string;
  streamId: string;
}

/**
 * Makes the ERP-relevance state of one adapter stream. The gateway keeps it per adapter + stream id
 * across reconnects (a resumed stream replays into the same state) and ticks it every second.
 */
export type RelevanceFactory = (ctx: StreamContext) => RelevanceStream;

export const defaultRelevance: RelevanceFactory = (ctx) => createRelevance({ family: ctx.family });
