// The process's last line: an exception or rejection that escaped every guard is logged and
// counted instead of ending the process, so one procedure's bug cannot stop every lab on the
// server. The guards (server/faults.ts) are the real defence; reaching this is a bug to fix, and
// /metrics counts it. Installed by `twinguide serve` only (never inside tests or a host program).

import type { ServerMetrics } from './plugins/metrics.ts';

export function installLastResort(metrics: ServerMetrics, log: (message: string) => void): () => void {
  const onException = (error: unknown): void => {
    metrics.uncaughtError('exception');
    log(`uncaught exception (the server carries on; this is a bug): ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  };
  const onRejection = (reason: unknown): void => {
    metrics.uncaughtError('rejection');
    log(`unhandled rejection (the server carries on; this is a bug): ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
