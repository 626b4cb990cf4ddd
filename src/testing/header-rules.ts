/** RFC 9110 token characters, the only ones Node accepts in a header name. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What Node refuses in a header value: control characters (tab aside) and anything past U+00FF. */
export const FORBIDDEN_IN_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The rule {@link FORBIDDEN_IN_HEADER_VALUE} enforces, worded for error messages. */
export const HEADER_VALUE_RULE =
  "without line breaks, control characters or characters past U+00FF";

/** The rule {@link HTTP_TOKEN} enforces, worded for error messages. */
export const HEADER_NAME_RULE = "an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";
