import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { hostRule, originRule } from '../../src/http/request-guard.js';

describe('the Host rule', () => {
  const allowed = hostRule('127.0.0.1', ['gateway.internal', 'tollgate.lan:8443', '.corp.example']);

  it('accepts loopback names with or without a port', () => {
    for (const host of ['localhost', 'localhost:4100', '127.0.0.1:4100', '127.1.2.3', '[::1]:4100', 'LOCALHOST:1', 'tollgate.localhost:4100']) {
      expect(allowed(host), host).toBe(true);
    }
  });

  it('accepts IP addresses, which a rebinding page cannot use (it needs a DNS name)', () => {
    for (const host of ['192.168.1.20:4100', '10.0.0.5', '[fe80::1]:4100', '[2001:db8::2]']) {
      expect(allowed(host), host).toBe(true);
    }
  });

  it('accepts configured names: a bare name on any port, a name:port only on that port, a .domain and its subdomains', () => {
    expect(allowed('gateway.internal:4100')).toBe(true);
    expect(allowed('gateway.internal')).toBe(true);
    expect(allowed('tollgate.lan:8443')).toBe(true);
    expect(allowed('tollgate.lan:80')).toBe(false);
    expect(allowed('corp.example')).toBe(true);
    expect(allowed('ai.corp.example:443')).toBe(true);
    expect(allowed('evilcorp.example')).toBe(false);
  });

  it('refuses other names, lookalikes, unspecified addresses, junk after the port and a missing Host', () => {
    for (const host of [
      'attacker.example',
      'attacker.example:4100',
      'localhost.attacker.example',
      '127.0.0.1.nip.io',
      '0.0.0.0:4100',
      '[::]:4100',
      'localhost:4100@attacker.example',
      'localhost:port',
      '',
    ]) {
      expect(allowed(host), host).toBe(false);
    }
    expect(allowed(undefined)).toBe(false);
  });

  it('accepts the name the server was told to listen on', () => {
    const named = hostRule('tollgate.lan', []);
    expect(named('tollgate.lan:4100')).toBe(true);
    expect(named('other.lan:4100')).toBe(false);
    // A wildcard bind adds no name of its own.
    expect(hostRule('0.0.0.0', [])('attacker.example')).toBe(false);
    expect(hostRule('::', [])('attacker.example')).toBe(false);
  });
});

describe('the Origin rule', () => {
  const allowed = originRule(['https://app.example.com', 'http://intranet:3000/']);

  it('accepts a page of the gateway itself (its host is the request Host), and no other host or port', () => {
    expect(allowed('https://gateway.corp.example', 'gateway.corp.example')).toBe(true);
    expect(allowed('http://gateway.corp.example:4100', 'Gateway.corp.example:4100')).toBe(true);
    expect(allowed('https://gateway.corp.example', 'other.corp.example')).toBe(false);
    expect(allowed('http://gateway.corp.example:4101', 'gateway.corp.example:4100')).toBe(false);
    expect(allowed('https://gateway.corp.example')).toBe(false);
  });

  it('accepts loopback pages on any port', () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1', 'https://[::1]:8443', 'http://app.localhost:3000']) {
      expect(allowed(origin), origin).toBe(true);
    }
  });

  it('accepts configured origins, compared in canonical form', () => {
    expect(allowed('https://app.example.com')).toBe(true);
    expect(allowed('HTTPS://APP.EXAMPLE.COM:443')).toBe(true);
    expect(allowed('http://intranet:3000')).toBe(true);
  });

  it('refuses other origins, other ports or schemes of allowed ones, and opaque origins', () => {
    for (const origin of [
      'https://evil.example',
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://app.example.com, https://evil.example',
      'null',
      'file://',
      'not a url',
    ]) {
      expect(allowed(origin), origin).toBe(false);
    }
  });
});

describe('the settings', () => {
  it('refuse an origin that is not scheme://host[:port] and a host with a scheme or path, naming the field', () => {
    for (const origin of ['app.example.com', 'https://app.example.com/app', 'null', '*']) {
      expect(() => parseConfig({ server: { allowedOrigins: [origin] } }, {}), origin).toThrow(/server\.allowedOrigins\.0.*scheme:\/\/host/);
    }
    for (const host of ['https://gateway.example.com', 'gateway.example.com/v1', '*', 'a b']) {
      expect(() => parseConfig({ server: { allowedHosts: [host] } }, {}), host).toThrow(/server\.allowedHosts\.0/);
    }
  });

  it('take names, name:port, .domain and origins with a port', () => {
    const config = parseConfig({ server: { allowedHosts: ['gateway.example.com', 'tollgate:4100', '.corp.example', '[fd00::1]:4100'], allowedOrigins: ['http://intranet:3000'] } }, {});
    expect(config.server.allowedHosts).toHaveLength(4);
    expect(parseConfig({}, {}).server).toMatchObject({ allowedHosts: [], allowedOrigins: [] });
  });
});
