/**
 * Whether a path can be handed to the Graph client's `api()` as a path. The
 * client takes any path containing `https://` for a whole URL and sends the
 * request to the host written there, so such paths are never passed on.
 */
export function isPlainClientPath(path: string): boolean {
  return !path.includes("://");
}

/**
 * Whether a path holds a control character. The URL parser drops tabs and line breaks
 * anywhere in a URL, so `.<tab>.` would become a `..` step after any check of the text.
 */
export function hasControlCharacter(path: string): boolean {
  for (let index = 0; index < path.length; index += 1) {
    const code = path.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Whether a path has a dot segment (`.` or `..`, also percent-encoded, or between backslashes,
 * which URLs read as slashes). The URL parser resolves them before the request is sent, so a
 * path under the workbook with one could name a resource outside it.
 */
export function hasDotSegment(path: string): boolean {
  const pathname = path.split(/[?#]/, 1)[0] ?? "";
  return pathname.split(/[\\/]/).some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}
