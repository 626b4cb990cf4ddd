import type { Fault } from "./fault";

/** Fields that make the emulator answer with the fault in the route's place. */
export const ANSWER_FIELDS = [
  "status",
  "code",
  "innerCode",
  "innermostCode",
  "message",
  "retryAfter",
  "body",
  "contentType",
] as const satisfies readonly (keyof Fault)[];

/** Fields that shape whichever answer is sent, the fault's or the route's. */
const SHAPING_FIELDS = ["headers", "truncateAfter"] as const satisfies readonly (keyof Fault)[];

/** Fields that describe an answer, so a request left unanswered would never show them. */
const DESCRIBING_FIELDS = [...ANSWER_FIELDS, ...SHAPING_FIELDS] as const;

/** Fields that change what the client sees; `match` and `times` only choose the requests. */
const EFFECT_FIELDS = [...DESCRIBING_FIELDS, "delayMs", "hang", "drop"] as const;

/** Why a request with `drop` or `hang` gets no answer; `applyFault` plays `drop` first. */
const NO_ANSWER = {
  drop: "drop closes the connection without an answer",
  hang: "hang never answers",
} as const;

/**
 * Refuses a checked fault that would change nothing, or that leaves the request unanswered (hang
 * or drop) while also describing an answer, since `applyFault` would silently ignore part of it.
 */
export function checkFaultEffect(fault: Fault): void {
  refuseIgnoredFields(fault);
  if (!EFFECT_FIELDS.some((field) => takesEffect(fault, field))) throw noEffect();
}

function refuseIgnoredFields(fault: Fault): void {
  const silencer = fault.drop ? "drop" : fault.hang ? "hang" : undefined;
  if (silencer === undefined) return;

  const others =
    silencer === "drop" ? (["hang", ...DESCRIBING_FIELDS] as const) : DESCRIBING_FIELDS;
  const ignored = others.find((field) => takesEffect(fault, field));
  if (ignored === undefined) return;
  throw new RangeError(
    `A fault cannot have both ${silencer} and ${ignored}: ${NO_ANSWER[silencer]}, ` +
      `so ${ignored} would have no effect; leave one of them out.`,
  );
}

/** A delay of 0 waits for nothing and an empty `headers` adds nothing. */
function takesEffect(fault: Fault, field: keyof Fault): boolean {
  if (field === "delayMs") return (fault.delayMs ?? 0) > 0;
  if (field === "headers") return Object.keys(fault.headers ?? {}).length > 0;
  return fault[field] !== undefined;
}

function noEffect(): RangeError {
  return new RangeError(
    "A fault must change something, but this one would let the request through untouched. " +
      `Set ${orList(ANSWER_FIELDS)} to answer in the route's place, ` +
      "headers (at least one) to add to the answer, delayMs above 0 to delay it, truncateAfter " +
      "to cut it off, or hang or drop to leave it unanswered; match and times only choose the " +
      "requests.",
  );
}

function orList(items: readonly string[]): string {
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}
