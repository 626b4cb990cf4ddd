/*
 * What the benchmark holds the library to.
 *
 * A target is the project's goal. A guard is a ratchet for a measurement that
 * still misses its target: about today's figure plus room for noise. A row
 * beyond its target but within its guard reads `off target` and does not fail
 * `bench:check`; a row beyond its guard, or beyond a target that has no guard,
 * reads `FAIL`. Tighten a guard when the code gets closer to its target, and
 * remove it once the target is met. The size guards are the limits in
 * `.size-limit.json`.
 */

/** The project's goals. */
export const TARGETS = {
  /** createSession requests of the herd, as a share of the alternative's: fewer. */
  herdRequests: 1,
  /** p95 time for a tab of the herd to get a session, in ms. */
  herdP95: 15_000,
  /** open() to active, as a multiple of the bare client's createSession. */
  latency: 1.1,
  /** State changes per second through the store's dispatch path, as a share of the floor. */
  dispatch: 0.5,
} as const;

/** Ratchets for the targets not met yet; each line says where its value comes from. */
export const GUARDS = {
  /** About 1.15× now; a loaded 2-core CI runner can add about 0.4×. */
  latency: 1.7,
} as const;
