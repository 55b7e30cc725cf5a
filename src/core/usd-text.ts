/**
 * Money as text, from the ledger's integer nanos (billionths of a USD): exact digits, no float
 * rounding, at least `minDecimals` and at most nine decimals ("4.50", "0.000012", "12.345678901").
 */
export function usdText(nanos: number, minDecimals = 2): string {
  const negative = nanos < 0;
  const whole = Math.trunc(Math.abs(nanos) / 1e9);
  const fraction = String(Math.abs(nanos) % 1e9).padStart(9, '0');
  const trimmed = fraction.replace(/0+$/, '');
  const decimals = trimmed.length < minDecimals ? fraction.slice(0, minDecimals) : trimmed;
  return `${negative ? '-' : ''}${whole}${decimals ? `.${decimals}` : ''}`;
}

/** USD (a float the core computed from nanos) back to whole nanos, for exact text. */
export function usdToNanos(usd: number): number {
  return Math.round(usd * 1e9);
}
