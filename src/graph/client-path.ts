/**
 * Whether a path can be handed to the Graph client's `api()` as a path. The
 * client takes any path containing `https://` for a whole URL and sends the
 * request to the host written there, so such paths are never passed on.
 */
export function isPlainClientPath(path: string): boolean {
  return !path.includes("://");
}
