/** What {@link mayHaveBeenApplied} is judged from: a failed request's answer, if any. */
export interface FailedAnswer {
  readonly status: number | null;
  readonly innerCode: string | null;
}

/* Second-level codes with which Graph says the failed request may be sent again. */
const RESEND_CODES = [
  "tooManyRequestsUncategorized",
  "serviceUnavailableUncategorized",
  "transientFailure",
];

/**
 * Whether Graph may have carried a request out although it failed: no answer came, a
 * gateway timed out (unless Graph's code says to send it again), or a success's answer
 * was cut off.
 */
export function mayHaveBeenApplied(answer: FailedAnswer): boolean {
  if (RESEND_CODES.some((code) => equalsCode(answer.innerCode, code))) return false;
  return (
    answer.status === null ||
    (answer.status >= 200 && answer.status < 300) ||
    answer.status === 504 ||
    equalsCode(answer.innerCode, "gatewayTimeoutUncategorized")
  );
}

function equalsCode(code: string | null, expected: string): boolean {
  return code !== null && code.toLowerCase() === expected.toLowerCase();
}
