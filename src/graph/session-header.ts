/** The request header that names the workbook session, in the form Graph documents. */
export const SESSION_HEADER = "workbook-session-id";
