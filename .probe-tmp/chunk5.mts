import { connect } from 'node:net';
import { startGateway } from '/work/main/test/support/gateway.ts';
const g = await startGateway({ server: { maxBodyBytes: 65536, requestTimeoutMs: 2000 } });
const port = Number(new URL(g.url).port);
const s = connect(port, '127.0.0.1');
const t0 = Date.now();
let out = '';
s.on('data', (d) => { out += d.toString(); console.log(Date.now() - t0, 'data', JSON.stringify(d.toString().slice(0, 40))); });
s.on('close', () => console.log('closed after', Date.now() - t0));
s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
const chunk = Buffer.alloc(16384, 0x20);
for (let i = 0; i < 8; i++) { s.write(chunk.length.toString(16) + '\r\n'); s.write(chunk); s.write('\r\n'); }
s.write('0\r\n\r\n');
await new Promise((r) => setTimeout(r, 300));
console.log('second request');
s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
await new Promise((r) => setTimeout(r, 3500));
s.destroy();
await g.close();
