/**
 * Whether a text is exactly one JSON object (RFC 8259, as `JSON.parse` reads it; whitespace
 * around it allowed), found by one pass over its characters that builds nothing. A passthrough
 * stream must not forward a chunk its client cannot parse, and checking each chunk this way
 * costs a fraction of parsing it.
 */

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** The containers open at each depth; deeper texts (rare, and never a real chunk) are parsed instead. */
const MAX_DEPTH = 256;
const CONTROL = /[\u0000-\u001f]/;
const open = new Uint8Array(MAX_DEPTH);
/** Where the next backslash of the text being checked is (-1: none left); found once per stretch, not per string. */
let nextBackslash = -1;

export function isJsonObject(text: string): boolean {
  const end = text.length;
  // Compact JSON (what upstreams stream) has no raw control characters at all; then no string
  // needs a look at each of its characters.
  const plain = !CONTROL.test(text);
  nextBackslash = text.indexOf('\\');
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return false;
  let depth = 0;
  let expectValue = true;
  for (;;) {
    if (expectValue) {
      i = skipSpace(text, i);
      const c = text.charCodeAt(i);
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (depth === MAX_DEPTH) return parsesAsObject(text);
        open[depth++] = c;
        i = skipSpace(text, i + 1);
        if (text.charCodeAt(i) === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          i += 1;
          depth -= 1;
          expectValue = false;
        } else if (c === OPEN_OBJECT) {
          i = memberName(text, i, plain);
          if (i < 0) return false;
        }
        continue;
      }
      if (c === QUOTE) i = stringEnd(text, i, plain);
      else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) i = numberEnd(text, i);
      else if (text.startsWith('true', i)) i += 4;
      else if (text.startsWith('false', i)) i += 5;
      else if (text.startsWith('null', i)) i += 4;
      else return false;
      if (i < 0) return false;
      expectValue = false;
      continue;
    }
    if (depth === 0) return skipSpace(text, i) === end;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    const container = open[depth - 1];
    if (c === COMMA) {
      i += 1;
      if (container === OPEN_OBJECT) {
        i = memberName(text, i, plain);
        if (i < 0) return false;
      }
      expectValue = true;
    } else if (c === (container === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
      i += 1;
      depth -= 1;
    } else {
      return false;
    }
  }
}

function skipSpace(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return i;
    i += 1;
  }
}

/** `"name"` and its colon; the index after the colon, or -1. */
function memberName(text: string, from: number, plain: boolean): number {
  let i = skipSpace(text, from);
  if (text.charCodeAt(i) !== QUOTE) return -1;
  i = stringEnd(text, i, plain);
  if (i < 0) return -1;
  i = skipSpace(text, i);
  return text.charCodeAt(i) === COLON ? i + 1 : -1;
}

/**
 * The index after the string that opens at `from`, or -1. A string with no escape is found
 * whole with `indexOf` (native, far faster than a loop over characters), and then only needs a
 * look for raw control characters when the text has any at all (`plain` says it has none); a
 * string with escapes is read character by character from its first backslash.
 */
function stringEnd(text: string, from: number, plain: boolean): number {
  const quote = text.indexOf('"', from + 1);
  if (quote === -1) return -1;
  if (nextBackslash !== -1 && nextBackslash <= from) nextBackslash = text.indexOf('\\', from + 1);
  if (nextBackslash === -1 || nextBackslash > quote) return plain || !hasControl(text, from + 1, quote) ? quote + 1 : -1;
  if (!plain && hasControl(text, from + 1, nextBackslash)) return -1;
  const end = text.length;
  let i = nextBackslash;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1;
    if (c !== BACKSLASH) {
      i += 1;
      continue;
    }
    const escaped = text.charCodeAt(i + 1);
    if (escaped === 0x75 /* u */) {
      for (let k = i + 2; k < i + 6; k++) if (!isHexDigit(text.charCodeAt(k))) return -1;
      i += 6;
    } else if (isSimpleEscape(escaped)) {
      i += 2;
    } else {
      return -1;
    }
  }
  return -1;
}

function hasControl(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) < SPACE) return true;
  return false;
}

function isSimpleEscape(c: number): boolean {
  // " \ / b f n r t
  return c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;
}

function isHexDigit(c: number): boolean {
  return (c >= DIGIT_0 && c <= DIGIT_9) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The index after the number that starts at `from`, or -1. */
function numberEnd(text: string, from: number): number {
  let i = from;
  if (text.charCodeAt(i) === MINUS) i += 1;
  const first = text.charCodeAt(i);
  if (first === DIGIT_0) i += 1;
  else if (first > DIGIT_0 && first <= DIGIT_9) i = digitsEnd(text, i + 1);
  else return -1;
  if (text.charCodeAt(i) === DOT) {
    const fraction = digitsEnd(text, i + 1);
    if (fraction === i + 1) return -1;
    i = fraction;
  }
  const e = text.charCodeAt(i);
  if (e === LOWER_E || e === UPPER_E) {
    i += 1;
    const sign = text.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i += 1;
    const exponent = digitsEnd(text, i);
    if (exponent === i) return -1;
    i = exponent;
  }
  return i;
}

function digitsEnd(text: string, from: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); c >= DIGIT_0 && c <= DIGIT_9; c = text.charCodeAt(++i));
  return i;
}

function parsesAsObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}
