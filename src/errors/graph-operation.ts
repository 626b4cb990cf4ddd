/**
 * The Graph call that failed:
 * - `createSession`: `POST …/workbook/createSession`;
 * - `pollOperation`: `GET …/workbook/operations/{id}` while a session is being created;
 * - `getSessionInfo`: `GET` of the finished operation's `resourceLocation`;
 * - `refreshSession`: `POST …/workbook/refreshSession`;
 * - `closeSession`: `POST …/workbook/closeSession`;
 * - `request`: any other workbook call.
 */
export type GraphOperation =
  | "createSession"
  | "pollOperation"
  | "getSessionInfo"
  | "refreshSession"
  | "closeSession"
  | "request";
