/**
 * DNS-rebinding and cross-site protection for `/mcp`: a web page must not be able to drive the
 * gateway from a user's browser. The Host must name this machine (loopback) or a configured
 * name; an Origin, when a browser sends one, must be loopback or configured.
 */

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopbackHostname(hostname: string): boolean {
  const lower = hostname.toLowerCase();
  return LOOPBACK_HOSTNAMES.has(lower) || /^127\.\d+\.\d+\.\d+$/.test(lower);
}

/** `host[:port]` → hostname, keeping IPv6 brackets. */
function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

export interface RequestGuardOptions {
  /** Origins (`scheme://host[:port]`) allowed besides loopback ones. */
  allowedOrigins: string[];
  /** Host names (`name` for any port, or `name:port`) allowed besides loopback ones. */
  allowedHosts?: string[];
}

export interface RequestGuard {
  hostAllowed(host: string | undefined): boolean;
  originAllowed(origin: string | undefined): boolean;
}

export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const hosts = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  const origins = new Set(options.allowedOrigins.map(normaliseOrigin).filter((o): o is string => o !== null));
  return {
    hostAllowed(host) {
      if (!host) return false;
      const lower = host.toLowerCase();
      const hostname = hostnameOf(lower);
      return isLoopbackHostname(hostname) || hosts.has(lower) || hosts.has(hostname);
    },
    originAllowed(origin) {
      // Non-browser clients send no Origin; only browsers can be tricked into a cross-site call.
      if (origin === undefined) return true;
      const normalised = normaliseOrigin(origin);
      if (normalised === null) return false;
      const url = new URL(normalised);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHostname(url.hostname)) return true;
      return origins.has(normalised);
    },
  };
}

/** `scheme://host[:port]` in canonical form, or null for `null` and other opaque origins. */
function normaliseOrigin(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}
