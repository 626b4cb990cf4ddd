import { describeValue } from "../options/read-option";
import type { AsyncCreateBehaviour } from "./emulator-options";
import type { FaultError } from "./fault";
import { FORBIDDEN_IN_HEADER_VALUE, HEADER_VALUE_RULE } from "./header-rules";
import {
  keepWritten,
  readChoice,
  readCount,
  readRecord,
  readText,
  refuseUnknownKeys,
} from "./read-setting";

const NAME = "asyncCreate";

/** Checks the `asyncCreate` setting, returning a copy that later changes cannot reach. */
export function checkAsyncCreate(value: unknown): AsyncCreateBehaviour | undefined {
  const record = readRecord(value, NAME);
  if (record === undefined) return undefined;

  const polls = { unit: "polls" };
  const checked = {
    mode: readChoice(record.mode, `${NAME}.mode`, ["sync", "async"] as const),
    runningPolls: readCount(record.runningPolls, `${NAME}.runningPolls`, polls),
    notStartedPolls: readCount(record.notStartedPolls, `${NAME}.notStartedPolls`, polls),
    outcome: readChoice(record.outcome, `${NAME}.outcome`, ["succeeded", "failed"] as const),
    failure: checkFailure(record.failure, `${NAME}.failure`),
    statusCasing: readChoice(record.statusCasing, `${NAME}.statusCasing`, [
      "camel",
      "pascal",
    ] as const),
    location: checkLocation(record.location),
    resourceLocation: readText(record.resourceLocation, `${NAME}.resourceLocation`),
  } satisfies { [K in keyof AsyncCreateBehaviour]-?: AsyncCreateBehaviour[K] };
  refuseUnknownKeys(record, Object.keys(checked), NAME);
  return keepWritten(checked, record);
}

/** The `Location` header goes out verbatim, so it must be a value Node can send. */
function checkLocation(value: unknown): string | undefined {
  const location = readText(value, `${NAME}.location`);
  if (location === undefined || !FORBIDDEN_IN_HEADER_VALUE.test(location)) return location;
  throw new RangeError(
    `${NAME}.location is sent as the Location header, so it must be ${HEADER_VALUE_RULE}, ` +
      `got ${describeValue(location)}.`,
  );
}

/** Checks a Graph error object and the errors nested in it, level by level. */
function checkFailure(value: unknown, name: string): FaultError | undefined {
  const record = readRecord(value, name);
  if (record === undefined) return undefined;

  const code = record.code;
  if (typeof code !== "string" || code === "") {
    const message = `${name}.code must be a non-empty string, got ${describeValue(code)}.`;
    throw code === "" ? new RangeError(message) : new TypeError(message);
  }
  const message = readText(record.message, `${name}.message`);
  const innerError = checkFailure(record.innerError, `${name}.innerError`);
  refuseUnknownKeys(record, ["code", "message", "innerError"], name);
  return {
    code,
    ...(message === undefined ? {} : { message }),
    ...(innerError === undefined ? {} : { innerError }),
  };
}
