/**
 * Ctrl-C / `kill` handling shared by the long-running CLI commands: the first SIGINT or SIGTERM
 * starts a graceful stop; the handlers are then removed, so a second signal falls through to
 * Node's default and ends the process when the graceful stop hangs.
 */

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Calls `onStop` once on the first SIGINT or SIGTERM; returns a function that unregisters it. */
export function onStopSignal(onStop: () => void): () => void {
  const off = () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
  const handler = () => {
    off();
    onStop();
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return off;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    onStopSignal(resolve);
  });
}
