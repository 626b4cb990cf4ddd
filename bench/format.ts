/** Milliseconds with two decimals, e.g. `0.84 ms`. */
export function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** Seconds with one decimal, or `never` for an infinite time. */
export function seconds(valueMs: number): string {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(1)} s` : "never";
}

/** A ratio such as `1.04×`. */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** Bytes in kB (1 kB = 1000 B, as size-limit counts), e.g. `16.54 kB`. */
export function kilobytes(bytes: number): string {
  return `${(bytes / 1000).toFixed(2)} kB`;
}

/** A whole number with thousands separators, e.g. `1,000`. */
export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
