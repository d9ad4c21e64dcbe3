// An SDK worker answering GET /N with N bytes of patternChunk()s, each written as a fresh 64 KiB buffer under
// backpressure: every chunk differs from the others, so bytes the router freed or reused too early show as a wrong
// checksum at the client, not as bytes that happen to look alike.
//   node pattern-worker.mjs CONNECT_ENDPOINT CONTROL_ENDPOINT
import { Worker } from '@switchboard/worker-sdk';

export const CHUNK = 64 * 1024;

/** Chunk `k` of a body: byte j is (k * 131 + j * 7 + (j >> 8)) & 0xff. */
export function patternChunk(k, length = CHUNK) {
  const out = Buffer.allocUnsafe(length);
  for (let j = 0; j < length; j++) out[j] = (k * 131 + j * 7 + (j >> 8)) & 0xff;
  return out;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [connect, control] = process.argv.slice(2);
  const worker = new Worker({ connect, control, name: 'pattern' });
  worker.handle((req, res) => {
    const total = Number(req.url.slice(1)) || 0;
    let k = 0;
    const pump = () => {
      while (k * CHUNK < total) {
        const chunk = patternChunk(k, Math.min(CHUNK, total - k * CHUNK));
        k++;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    pump();
  });
}
