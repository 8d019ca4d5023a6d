import type { Incident, InjectedFault, RunEvent } from './types.js';

/**
 * The incident a recovery action sees: detection = the first `detected` event since injection
 * started (of this iteration, when given), looked up on each call so an action can wait for it.
 */
export function incidentFrom(
  events: readonly RunEvent[],
  injectStartMs: number,
  fault?: InjectedFault,
  iteration?: number,
): Incident {
  return {
    fault,
    injectStartMs,
    detection: () =>
      events.find(
        (e) =>
          e.type === 'detected' &&
          e.tMs >= injectStartMs &&
          (iteration === undefined || e.iteration === iteration),
      ),
  };
}
