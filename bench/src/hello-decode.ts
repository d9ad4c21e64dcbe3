// CPU per hello request of decoding its two header blocks (issue 15): the SYN_STREAM's block the router sends for a
// `wrk` GET (read by the worker) and the hello reply's (read by the router, as latin1), in a loop; and of encoding
// them (the router encodes the request's as latin1, the worker its reply's as UTF-8). CPU time, not wall time, and the
// best of several rounds: on a loaded 2-core machine wall time measures the neighbours.
//   node hello-decode.js [--loops N] [--rounds R]    prints {nsPerRequest, encodeNsPerRequest} as JSON
import { parseArgs } from 'node:util';
import { decodeHeaderBlock, encodeHeaderBlock } from '@switchboard/protocol';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '8' } } });
const loops = Number(values.loops);
const rounds = Number(values.rounds);

// What the router's headers.ts makes of `GET / HTTP/1.1` with only Host, and what the hello worker answers.
const requestPairs = [':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', '127.0.0.1:38117', ':scheme', 'http',
  'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', '127.0.0.1:38117'];
const replyPairs = [':status', '200', 'content-type', 'text/plain; charset=utf-8', 'content-length', '14'];
const request = encodeHeaderBlock(requestPairs);
const reply = encodeHeaderBlock(replyPairs);

/** Best CPU time of `once` over the rounds, ns per call. */
function best(once: () => number): number {
  let fastest = Infinity;
  let total = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < loops; i++) total += once();
    const used = process.cpuUsage(start);
    fastest = Math.min(fastest, ((used.user + used.system) * 1000) / loops);
  }
  if (total === 0) throw new Error('nothing was coded');
  return Math.round(fastest);
}

const decode = best(() => decodeHeaderBlock(request).length + decodeHeaderBlock(reply, undefined, 'latin1').length);
const encode = best(() => encodeHeaderBlock(requestPairs, 18, 'latin1').length + encodeHeaderBlock(replyPairs, 18).length);
console.log(JSON.stringify({ nsPerRequest: decode, encodeNsPerRequest: encode }));
