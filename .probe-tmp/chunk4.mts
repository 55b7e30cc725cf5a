import { connect } from 'node:net';
import { startGateway } from '/work/main/test/support/gateway.ts';
const g = await startGateway({ server: { maxBodyBytes: 65536, requestTimeoutMs: 2000 } });
const port = Number(new URL(g.url).port);
for (let round = 0; round < 4; round++) {
  await new Promise<void>((resolve) => {
    const s = connect(port, '127.0.0.1');
    const t0 = Date.now();
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => { console.log(round, 'closed after', Date.now() - t0, JSON.stringify(out.slice(0, 60))); resolve(); });
    s.on('error', (e) => console.log('err', e.message));
    s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    let sent = 0;
    const chunk = Buffer.alloc(16384, 0x20);
    const pump = () => { if (s.destroyed || sent > 129428) { if (!s.destroyed) s.write('0\r\n\r\n'); return; } s.write(chunk.length.toString(16) + '\r\n'); s.write(chunk); s.write('\r\n'); sent += chunk.length; setImmediate(pump); };
    pump();
    setTimeout(() => { console.log(round, 'still open', JSON.stringify(out.slice(0, 60))); s.destroy(); }, 4000);
  });
}
await g.close();
