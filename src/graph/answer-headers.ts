import type { GraphRequest } from "@microsoft/microsoft-graph-client";

type Send = (url: unknown, options: unknown, callback?: unknown) => unknown;
type Callback = (error: unknown, ...rest: unknown[]) => unknown;

interface SendContext {
  readonly options?: unknown;
  readonly response?: unknown;
}

interface HttpClientLike {
  sendRequest(context: SendContext): Promise<SendContext>;
}

/**
 * Makes every error of the Graph client that `request` fails with carry the headers of the answer
 * it was made from. The client leaves them out of an error whose body is not Graph's
 * `{ "error": … }` envelope (an HTML page, plain text, other JSON), which would lose its
 * `Retry-After`, whatever the status. Returns false, and leaves the request as it is, when the
 * client's request object does not have the `send` and `httpClient` members this relies on.
 */
export function keepAnswerHeaders(request: GraphRequest): boolean {
  const inner = request as unknown as { send?: unknown; httpClient?: unknown };
  const { send, httpClient } = inner;
  if (typeof send !== "function" || !isHttpClient(httpClient)) return false;

  // The client hands the options object of one send to its HTTP client and keeps it for the
  // whole send, so it ties each answer to the send that got it, even when the request object
  // sends several times at once.
  const answers = new WeakMap<object, Response>();
  inner.httpClient = recordingAnswers(httpClient, answers);

  const sendKeepingHeaders: Send = (url, options, callback) => {
    const answerOf = () => (isObject(options) ? answers.get(options) : undefined);
    const reported =
      typeof callback === "function"
        ? (error: unknown, ...rest: unknown[]) =>
            (callback as Callback)(withAnswerHeaders(error, answerOf()), ...rest)
        : callback;
    return Promise.resolve((send as Send).call(request, url, options, reported)).catch(
      (error: unknown) => {
        throw withAnswerHeaders(error, answerOf());
      },
    );
  };
  inner.send = sendKeepingHeaders;
  return true;
}

/**
 * Gives an error of the Graph client the headers of the answer it was made from, when the client
 * left them out: it does for error answers whose body is not Graph's error envelope, which would
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

/* The client's HTTP client, noting the answer each send's options got. */
function recordingAnswers(
  httpClient: HttpClientLike,
  answers: WeakMap<object, Response>,
): HttpClientLike {
  const recording = Object.create(httpClient) as HttpClientLike;
  recording.sendRequest = async (context) => {
    const { options } = context;
    const done = await httpClient.sendRequest(context);
    if (isObject(options) && isAnswer(done?.response)) answers.set(options, done.response);
    return done;
  };
  return recording;
}

function isHttpClient(value: unknown): value is HttpClientLike {
  return isObject(value) && typeof (value as { sendRequest?: unknown }).sendRequest === "function";
}

function isAnswer(value: unknown): value is Response {
  if (!isObject(value)) return false;
  const answer = value as { status?: unknown; headers?: unknown };
  return typeof answer.status === "number" && isObject(answer.headers);
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
