import type { Logger } from '../telemetry';

/** A long-running part of the sidecar: `run` works until `signal` aborts, then drains and resolves. */
export interface Service {
  name: string;
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Runs services until SIGTERM/SIGINT (or one of them fails), then aborts them all and waits for their
 * drain, bounded by `graceMs`. Resolves with the exit code.
 */
export async function runUntilSignal(services: readonly Service[], log: Logger, graceMs = 20_000): Promise<number> {
  const controller = new AbortController();
  let exitCode = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    log.info('shutting down', { signal: sig });
    controller.abort(new Error(`received ${sig}`));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const runs = services.map((s) =>
    s.run(controller.signal).catch((err: unknown) => {
      if (controller.signal.aborted) return;
      exitCode = 1;
      log.error('service failed; stopping the sidecar', { service: s.name, error: err instanceof Error ? err.message : String(err) });
      controller.abort(err);
    }),
  );
  await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
  const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([Promise.all(runs), grace])) === 'timeout') {
    log.warn('drain did not finish in time; exiting with work in flight (leases will expire and be claimed again)', { graceMs });
  }
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return exitCode;
}
