/**
 * `value × 10^-shift` as a plain decimal string (no exponent), e.g. (0.15, 6) → "0.00000015".
 * Works on the shortest decimal form of `value`, so published prices keep their exact digits.
 */
export function shiftedDecimal(value: number, shift: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const [mantissa, exponentText] = Math.abs(value).toString().split('e');
  const exponent = Number(exponentText ?? 0) - shift;
  const [whole, fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  // Position of the decimal point within `digits`.
  const point = whole.length + exponent;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  text = text.replace(/^0+(?=\d)/, '');
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return value < 0 && text !== '0' ? `-${text}` : text;
}
