export {
  type ClassifyContext,
  classifyError,
  classifyFailure,
  errorFromFailedOperation,
  errorFromResponse,
  type GraphFailure,
} from "./classify";
export { REQUIRED_INNER_CODES } from "./error-codes";
export { ERROR_KINDS, type ErrorKind, isRetryableKind } from "./error-kind";
export {
  type GraphOperation,
  isWorkbookError,
  WorkbookError,
  type WorkbookErrorInit,
  type WorkbookErrorJSON,
} from "./workbook-error";
