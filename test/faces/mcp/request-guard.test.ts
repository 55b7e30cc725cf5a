import { describe, expect, it } from 'vitest';
import { createRequestGuard } from '../../../src/faces/mcp/request-guard.js';

describe('the Host rule', () => {
  const guard = createRequestGuard({ allowedOrigins: [], allowedHosts: ['gateway.internal', 'tollgate.lan:8443'] });

  it('accepts loopback names with or without a port', () => {
    for (const host of ['localhost', 'localhost:4100', '127.0.0.1:4100', '127.1.2.3', '[::1]:4100', 'LOCALHOST:1']) {
      expect(guard.hostAllowed(host), host).toBe(true);
    }
  });

  it('accepts configured names: a bare name on any port, a name:port only on that port', () => {
    expect(guard.hostAllowed('gateway.internal:4100')).toBe(true);
    expect(guard.hostAllowed('gateway.internal')).toBe(true);
    expect(guard.hostAllowed('tollgate.lan:8443')).toBe(true);
    expect(guard.hostAllowed('tollgate.lan:80')).toBe(false);
  });

  it('refuses other names, lookalikes and a missing Host', () => {
    for (const host of ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', '0.0.0.0:4100', '']) {
      expect(guard.hostAllowed(host), host).toBe(false);
    }
    expect(guard.hostAllowed(undefined)).toBe(false);
  });
});

describe('the Origin rule', () => {
  const guard = createRequestGuard({ allowedOrigins: ['https://app.example.com', 'http://intranet:3000/'] });

  it('accepts requests without an Origin (not from a browser)', () => {
    expect(guard.originAllowed(undefined)).toBe(true);
  });

  it('accepts loopback origins on any port', () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1', 'https://[::1]:8443']) {
      expect(guard.originAllowed(origin), origin).toBe(true);
    }
  });

  it('accepts configured origins, compared in canonical form', () => {
    expect(guard.originAllowed('https://app.example.com')).toBe(true);
    expect(guard.originAllowed('HTTPS://APP.EXAMPLE.COM:443')).toBe(true);
    expect(guard.originAllowed('http://intranet:3000')).toBe(true);
  });

  it('refuses other origins, other ports or schemes of allowed ones, and opaque origins', () => {
    for (const origin of [
      'https://evil.example',
      'http://app.example.com',
      'https://app.example.com:8443',
      'null',
      'file://',
      'not a url',
    ]) {
      expect(guard.originAllowed(origin), origin).toBe(false);
    }
  });
});
