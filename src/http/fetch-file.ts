/**
 * Fetches a file a client named by URL (an image or a PDF in a prompt), without letting that URL
 * reach into the network the gateway runs in (SSRF):
 *
 * - only `http:` and `https:`, no credentials in the URL;
 * - the host is resolved first and every address checked: loopback, private, link-local,
 *   carrier-grade NAT, multicast and reserved ranges are refused (IPv4-mapped and NAT64 IPv6
 *   addresses are checked as the IPv4 address they carry);
 * - the connection goes to the address that was checked (the socket's `lookup` answers with it),
 *   so a name that resolves differently a second time (DNS rebinding) cannot move it;
 * - redirects are refused, not followed (a public URL could redirect to a private one);
 * - only the allowed media types (default `image/*` and `application/pdf`), and at most
 *   `maxBytes`, counted as the body arrives.
 *
 * Every refusal is a GatewayError a face renders in its own protocol.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { GatewayError } from '../core/errors.js';

export interface FetchFileOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Whole-fetch deadline. */
  timeoutMs: number;
  /** Allow private, loopback and link-local addresses (tests, trusted networks only). */
  allowPrivate: boolean;
  /** Media types accepted; default `image/*` and `application/pdf`. */
  accept?: (mediaType: string) => boolean;
  /** Resolves a host name to every address it has (tests substitute their own). */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  signal?: AbortSignal;
}

export interface FetchedFile {
  bytes: Uint8Array;
  /** From the response's content-type, lowercased, without parameters. */
  mediaType: string;
}

export const defaultAccept = (mediaType: string): boolean => mediaType.startsWith('image/') || mediaType === 'application/pdf';

const defaultResolve = (host: string) => dnsLookup(host, { all: true, verbatim: true });

export async function fetchFile(rawUrl: string, options: FetchFileOptions): Promise<FetchedFile> {
  const url = parseFileUrl(rawUrl);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const target = await resolveChecked(host, options);
  return get(url, target, options);
}

function parseFileUrl(rawUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw refuse('invalid_request', `the file URL is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse('invalid_request', `file URLs must be http or https (got ${url.protocol.slice(0, 20)}); send other files inline as data`);
  }
  if (url.username || url.password) throw refuse('invalid_request', 'file URLs must not carry credentials');
  return url;
}

/** Resolves the host and checks every address; returns the one to connect to. */
async function resolveChecked(host: string, options: FetchFileOptions): Promise<{ address: string; family: 4 | 6 }> {
  let addresses: Array<{ address: string; family: number }>;
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal }];
  } else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host);
    } catch {
      throw refuse('invalid_request', `the file URL's host ${host.slice(0, 100)} could not be resolved`);
    }
    if (addresses.length === 0) throw refuse('invalid_request', `the file URL's host ${host.slice(0, 100)} has no address`);
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      if (isNonPublicAddress(address)) {
        throw refuse(
          'invalid_request',
          `the file URL's host ${host.slice(0, 100)} ${literal ? 'is' : 'resolves to'} a private, loopback or link-local address; Tollgate fetches files only from public addresses`,
        );
      }
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

function get(url: URL, target: { address: string; family: 4 | 6 }, options: FetchFileOptions): Promise<FetchedFile> {
  const accept = options.accept ?? defaultAccept;
  // The socket connects to the checked address whatever the name resolves to now; TLS still
  // verifies the certificate against the host name, and Host carries it.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) {
      (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [target]);
    } else {
      callback(null, target.address, target.family);
    }
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<FetchedFile>((resolve, reject) => {
    let settled = false;
    const fail = (error: GatewayError) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(refuse('invalid_request', `fetching the file URL took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => fail(new GatewayError('client_closed', 'the client went away'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    const request = client.get(
      url,
      { lookup: pinned, headers: { accept: 'image/*, application/pdf', 'user-agent': 'tollgate-file-fetch' }, agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          return fail(refuse('invalid_request', `the file URL answered with a redirect (HTTP ${status}); redirects are not followed, give the final URL`));
        }
        if (status < 200 || status >= 300) return fail(refuse('invalid_request', `the file URL answered HTTP ${status}`));
        const mediaType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!accept(mediaType)) {
          return fail(refuse('unsupported_media_type', `the file URL serves ${mediaType.slice(0, 80) || 'no content type'}; only images and PDFs are fetched`));
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) return fail(tooLarge(options.maxBytes));
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) return fail(tooLarge(options.maxBytes));
          chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          done();
          resolve({ bytes: new Uint8Array(Buffer.concat(chunks)), mediaType });
        });
        const brokeOff = () => fail(refuse('invalid_request', 'the file URL broke off while sending the file'));
        response.on('error', brokeOff);
        // A connection that closes before the end of the body ends nothing else; `fail` ignores a settled fetch.
        response.on('close', brokeOff);
      },
    );
    request.on('error', () => fail(refuse('invalid_request', `the file URL could not be fetched (connection to ${url.host.slice(0, 100)} failed)`)));
    request.on('close', done);
  });
}

// ---- address ranges ----

const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

/** True for every address a file fetch must not reach. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return nonPublic.check(address, 'ipv4');
  if (family !== 6) return true;
  const embedded = embeddedIPv4(address.toLowerCase());
  if (embedded) return nonPublic.check(embedded, 'ipv4');
  return nonPublic.check(address, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible or NAT64 (`64:ff9b::`) address. */
function embeddedIPv4(address: string): string | undefined {
  const groups = expandIPv6(address);
  if (!groups) return undefined;
  const high = groups.slice(0, 6);
  const mapped = high.slice(0, 5).every((g) => g === 0) && (high[5] === 0xffff || high[5] === 0);
  const nat64 = high[0] === 0x64 && high[1] === 0xff9b && high.slice(2).every((g) => g === 0);
  if (!mapped && !nat64) return undefined;
  // `::` and `::1` are IPv6's own; leave them to the IPv6 ranges.
  if (!nat64 && high[5] === 0 && groups[6] === 0) return undefined;
  const [a, b] = [groups[6]!, groups[7]!];
  return `${a >> 8}.${a & 0xff}.${b >> 8}.${b & 0xff}`;
}

function expandIPv6(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  // A trailing dotted IPv4 becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : fill < 0) return undefined;
  const groups = [...left, ...new Array<number>(tail === undefined ? 0 : fill).fill(0), ...right];
  return groups.some((g) => Number.isNaN(g)) ? undefined : groups;
}

function refuse(kind: 'invalid_request' | 'unsupported_media_type', message: string): GatewayError {
  return new GatewayError(kind, message);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `the file at the URL is larger than the limit of ${maxBytes} bytes (server.fileFetch.maxBytes)`);
}
