import { describe, expect, it } from 'vitest';
import { ListenAddressError, resolveListenAddress } from '../../src/cli/listen-address.js';
import { parseConfig } from '../../src/config/load.js';

const config = parseConfig({ server: { port: 5000, host: '127.0.0.3' } }, {});

describe('where serve listens', () => {
  it('takes flags over TOLLGATE_PORT/TOLLGATE_HOST, those over PORT, and all of them over the config', () => {
    expect(resolveListenAddress({}, config, {})).toEqual({ port: 5000, host: '127.0.0.3' });
    expect(resolveListenAddress({}, config, { PORT: '6000' })).toEqual({ port: 6000, host: '127.0.0.3' });
    expect(resolveListenAddress({}, config, { PORT: '6000', TOLLGATE_PORT: '7000', TOLLGATE_HOST: '127.0.0.4' })).toEqual({ port: 7000, host: '127.0.0.4' });
    expect(resolveListenAddress({ port: '0', host: '::1' }, config, { PORT: '6000', TOLLGATE_PORT: '7000', TOLLGATE_HOST: '127.0.0.4' })).toEqual({ port: 0, host: '::1' });
    // An empty variable is unset.
    expect(resolveListenAddress({}, config, { TOLLGATE_PORT: '', PORT: '6000', TOLLGATE_HOST: '' })).toEqual({ port: 6000, host: '127.0.0.3' });
  });

  it('names the flag or variable that holds a bad port', () => {
    expect(() => resolveListenAddress({ port: 'eighty' }, config, {})).toThrow(new ListenAddressError('--port must be a whole number from 0 to 65535 (got "eighty")'));
    expect(() => resolveListenAddress({}, config, { TOLLGATE_PORT: '65536' })).toThrow('TOLLGATE_PORT must be a whole number from 0 to 65535 (got "65536")');
    expect(() => resolveListenAddress({}, config, { PORT: '-1' })).toThrow('PORT must be a whole number');
    expect(() => resolveListenAddress({}, config, { PORT: '80.5' })).toThrow('PORT must be a whole number');
  });
});
