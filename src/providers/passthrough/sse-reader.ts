import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { discardBody, EventStreamMeter, type ResponseLimits } from '../response-limits.js';

/**
 * Splits a server-sent-event byte stream into events (the text between blank lines). Only the
 * `data:` lines matter to OpenAI-style streams; comments and other fields pass through as raw.
 * An event or a stream over its cap ends the stream with an `upstream_invalid` error.
 */
export async function* readSseEvents(body: Readable, limits: Pick<ResponseLimits, 'maxEventBytes' | 'maxStreamBytes'>): AsyncGenerator<string> {
  // A decoder keeps a multi-byte character split across two chunks whole.
  const decoder = new StringDecoder('utf8');
  const meter = new EventStreamMeter(limits);
  let pending = '';
  for await (const chunk of body) {
    const tooLarge = meter.add(chunk as Buffer);
    if (tooLarge) {
      discardBody(body);
      throw tooLarge;
    }
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (pending.includes('\r')) pending = pending.replace(/\r\n?/g, '\n');
    let boundary = pending.indexOf('\n\n');
    while (boundary !== -1) {
      const event = pending.slice(0, boundary);
      pending = pending.slice(boundary + 2);
      if (event.length > 0) yield event;
      boundary = pending.indexOf('\n\n');
    }
  }
  pending += decoder.end();
  if (pending.trim().length > 0) yield pending;
}

/** The joined `data:` payload of one event, or null when it has none. */
export function eventData(event: string): string | null {
  if (event.startsWith('data:') && !event.includes('\n')) {
    return event.charCodeAt(5) === 32 ? event.slice(6) : event.slice(5);
  }
  const lines: string[] = [];
  for (const line of event.split('\n')) {
    if (line.startsWith('data:')) lines.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
  }
  return lines.length ? lines.join('\n') : null;
}
