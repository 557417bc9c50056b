// Fault isolation: code that runs outside an RxJS chain (timers, socket handlers, broadcast
// listeners) is wrapped so that an exception there fails only what it belongs to (a procedure, a
// display, a connection), is counted and said, and never reaches the process's top level, where
// it would end every procedure in every lab on the server.

export type FaultReporter = (where: string, error: unknown) => void;

/** `fn` with its exceptions handed to `report` instead of thrown (and `report`'s own swallowed). */
export function guarded<A extends unknown[]>(where: string, report: FaultReporter, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (error) {
      try {
        report(where, error);
      } catch {
        // The reporter itself failed (a closed socket, a full disk): nothing more can be said safely.
      }
    }
  };
}

/** A short, single-line description of anything thrown, for events and logs. */
export function describeFault(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 500);
}
