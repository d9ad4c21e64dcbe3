// CPU per hello request of decoding its two header blocks (issue 15): the SYN_STREAM's block the router sends for a
// `wrk` GET (read by the worker) and the hello reply's (read by the router, as latin1), in a loop. CPU time, not wall
// time, and the best of several rounds: on a loaded 2-core machine wall time measures the neighbours.
//   node hello-decode.js [--loops N] [--rounds R]    prints {nsPerRequest} as JSON
import { parseArgs } from 'node:util';
import { decodeHeaderBlock, encodeHeaderBlock } from '@switchboard/protocol';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '8' } } });
const loops = Number(values.loops);
const rounds = Number(values.rounds);

// What the router's headers.ts makes of `GET / HTTP/1.1` with only Host, and what the hello worker answers.
const request = encodeHeaderBlock([':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', '127.0.0.1:38117', ':scheme', 'http',
  'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', '127.0.0.1:38117']);
const reply = encodeHeaderBlock([':status', '200', 'content-type', 'text/plain; charset=utf-8', 'content-length', '14']);

let best = Infinity;
let pairs = 0;
for (let r = 0; r < rounds; r++) {
  const start = process.cpuUsage();
  for (let i = 0; i < loops; i++) pairs += decodeHeaderBlock(request).length + decodeHeaderBlock(reply, undefined, 'latin1').length;
  const used = process.cpuUsage(start);
  best = Math.min(best, ((used.user + used.system) * 1000) / loops);
}
if (pairs !== rounds * loops * 22) throw new Error(`decoded ${pairs} strings, expected ${rounds * loops * 22}`);
console.log(JSON.stringify({ nsPerRequest: Math.round(best) }));
