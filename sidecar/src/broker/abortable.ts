/** `promise`, or a rejection with `error()` as soon as `signal` aborts (the promise itself runs on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, error: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Resolves on the first of `events` from `emitter`, or when `signal` aborts; removes its listeners. */
export function firstOf(emitter: { on(event: string, fn: () => void): unknown; off(event: string, fn: () => void): unknown }, events: readonly string[], signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      for (const e of events) emitter.off(e, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    for (const e of events) emitter.on(e, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
