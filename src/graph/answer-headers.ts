/**
 * Gives an error of the Graph client the headers of the answer it was made from, when the client
 * left them out: it does for error answers whose body is not JSON (plain text, HTML), which would
 * otherwise lose their `Retry-After`. Only an answer with the error's own status is used, and
 * an error that has headers, or is not the client's, is returned as it is.
 */
export function withAnswerHeaders(error: unknown, answer: Response | undefined): unknown {
  if (answer === undefined || typeof error !== "object" || error === null) return error;
  const candidate = error as { statusCode?: unknown; headers?: unknown };
  if (candidate.statusCode !== answer.status || candidate.headers !== undefined) return error;
  try {
    candidate.headers = answer.headers;
  } catch {
    // A frozen error keeps what it has.
  }
  return error;
}
