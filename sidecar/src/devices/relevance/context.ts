import type { ErpUpdate } from '@logistics-bridge/contract';
import type { DropCounters, DropReason, UpdateSource } from './types';

/** What a family processor knows about the reading it handles. */
export interface ReadingContext extends UpdateSource {
  /** Envelope sequence (string: uint64) and the reading's index in its batch: together a stable source id. */
  sequence: string;
  readingIndex: number;
}

/** Shared sink of a stream's processors: updates out, drops counted by reason. */
export interface Sink {
  emit(update: ErpUpdate): void;
  drop(reason: DropReason): void;
}

export function countingSink(updates: ErpUpdate[], dropped: DropCounters): Sink {
  return {
    emit: (update) => {
      updates.push(update);
    },
    drop: (reason) => {
      dropped[reason] += 1;
    },
  };
}
