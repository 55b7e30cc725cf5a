// Preloaded into a peer gateway (`node -r`) that has no host flag and would otherwise listen on
// every interface: a server that names no host (or names every interface) listens on
// 127.0.0.1 instead. Unix sockets and handles pass through unchanged.
'use strict';
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const ANY = new Set(['0.0.0.0', '::', '']);
const original = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    if (args.length < 2 || args[1] === undefined || args[1] === null) args[1] = LOOPBACK;
    else if (typeof args[1] === 'string') {
      if (ANY.has(args[1])) args[1] = LOOPBACK;
    } else args.splice(1, 0, LOOPBACK);
  } else if (first === undefined || first === null || typeof first === 'function') {
    // listen() / listen(callback): a random port on every interface otherwise.
    args.splice(0, first === undefined || first === null ? 1 : 0, 0, LOOPBACK);
  } else if (typeof first === 'object' && first.path === undefined && first.handle === undefined && first.fd === undefined && !('_handle' in first)) {
    // listen(options[, callback])
    if (first.host === undefined || first.host === null || ANY.has(first.host)) args[0] = { ...first, host: LOOPBACK };
  }
  return original.apply(this, args);
};
