/** What {@link readBodyText} read of a response body. */
export interface BodyText {
  /** The body decoded as UTF-8, at most the bytes asked for (empty for no body). */
  text: string;
  /** Whether the body went on past the limit and the rest was not read. */
  truncated: boolean;
}

/**
 * Reads at most `maxBytes` bytes of a response body, chunk by chunk, and decodes them as UTF-8
 * (a character cut at the limit becomes U+FFFD). When the body is longer, the rest is cancelled
 * instead of read, so a huge or endless body costs no more than the limit. A response without
 * a body gives empty text. Rejects when the body was already read or the stream fails.
 */
export async function readBodyText(response: Response, maxBytes: number): Promise<BodyText> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be an integer ≥ 0, got ${String(maxBytes)}.`);
  }
  if (response.body === null) return { text: "", truncated: false };

  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let left = maxBytes;

  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };

    // A chunk that crosses the limit is kept up to it; the stream is then cancelled
    // rather than drained, which is the point of the limit.
    if (value.byteLength > left) {
      text += decoder.decode(value.subarray(0, left));
      await cancelQuietly(reader);
      return { text, truncated: true };
    }
    text += decoder.decode(value, { stream: true });
    left -= value.byteLength;
  }
}

/** Cancels the rest of a stream; a failure to cancel does not matter once we stop reading. */
async function cancelQuietly(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    await reader.cancel();
  } catch {
    // The stream may already have failed; nothing more is read from it either way.
  }
}
