// A misbehaving minimal worker for tests: answers every stream with the chosen kind of nonsense.
//   garbage  - random bytes instead of frames
//   badframe - a SYN_REPLY whose header block is corrupt
//   fuzz     - mutated valid replies, frames for other streams, truncated frames, for as long as it runs
//   refuse   - answers every stream with RST_STREAM REFUSED_STREAM (a worker that never takes work)
//   batched  - waits for two streams, then answers both in one part: a corrupt SYN_REPLY for the first, a good
//              reply for the second
import { Router } from 'zeromq';
import { RstStatus, encodeData, encodeRstStream, encodeSynReply, decodeFrames } from '@switchboard/protocol';
import { randomBytes } from 'node:crypto';

const [endpoint, mode = 'garbage'] = process.argv.slice(2);
const sock = new Router({ mandatory: true, linger: 0 });
sock.connect(endpoint);
console.log(JSON.stringify({ msg: 'worker started', mode }));

function mutate(buf) {
  const out = Buffer.from(buf);
  const flips = 1 + Math.floor(Math.random() * 4);
  for (let i = 0; i < flips; i++) out[Math.floor(Math.random() * out.length)] = Math.floor(Math.random() * 256);
  return Math.random() < 0.2 ? out.subarray(0, Math.floor(Math.random() * out.length)) : out;
}

function corruptReply(id) {
  const f = encodeSynReply(id, [':status', '200']);
  f[f.length - 1] ^= 0xff;
  return f;
}

const waiting = [];
for await (const [rid, ...parts] of sock) {
  if (parts.length === 1 && parts[0].length === 0) continue;
  let ids = [];
  try { for (const p of parts) for (const f of decodeFrames(p)) if (f.type === 'SYN_STREAM') ids.push(f.streamId); } catch { /* ignore */ }
  if (mode === 'batched') {
    waiting.push(...ids);
    if (waiting.length < 2) continue;
    const [bad, good] = waiting.splice(0, 2);
    const part = Buffer.concat([corruptReply(bad), encodeSynReply(good, [':status', '200']), encodeData(good, Buffer.from('good\n'), true)]);
    try { await sock.send([rid, part]); } catch { /* router gone */ }
    continue;
  }
  for (const id of ids) {
    let reply;
    if (mode === 'refuse') reply = [encodeRstStream(id, RstStatus.REFUSED_STREAM)];
    else if (mode === 'garbage') reply = [randomBytes(3 + Math.floor(Math.random() * 40))];
    else if (mode === 'badframe') reply = [corruptReply(id)];
    else {
      const good = [encodeSynReply(id, [':status', '200']), encodeData(id, Buffer.from('x'), true)];
      reply = good.map((f) => (Math.random() < 0.6 ? mutate(f) : f));
      if (Math.random() < 0.3) reply.push(encodeData(id + 2 * Math.floor(Math.random() * 5 - 2) || 1, randomBytes(8), Math.random() < 0.5));
      if (Math.random() < 0.2) reply = [randomBytes(Math.floor(Math.random() * 64))];
    }
    try { await sock.send([rid, ...reply]); } catch { /* router gone */ }
  }
}
