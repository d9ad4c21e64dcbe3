// A minimal-protocol worker on a raw ROUTER that logs every request it receives (one JSON line each) and answers
// 200 "minimal <path>". Tests use its log to prove which requests reached a worker.
//   node minimal-worker.mjs REQUEST_ENDPOINT [--server-key Z85 --public-key Z85 --secret-key Z85]
import { parseArgs } from 'node:util';
import { Router } from 'zeromq';
import { decodeFrames, encodeData, encodeSynReply } from '@switchboard/protocol';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'server-key': { type: 'string' }, 'public-key': { type: 'string' }, 'secret-key': { type: 'string' } } });
const curve = values['server-key'] ? { curveServerKey: values['server-key'], curvePublicKey: values['public-key'], curveSecretKey: values['secret-key'] } : {};
const sock = new Router({ mandatory: true, linger: 0, ...curve });
sock.connect(positionals[0]);
const log = (entry) => console.log(JSON.stringify({ time: Date.now(), ...entry }));
log({ msg: 'worker started' });

for await (const [rid, ...parts] of sock) {
  if (parts.length === 1 && parts[0].length === 0) continue; // the router's probe (SPEC §2)
  for (const part of parts) {
    for (const frame of decodeFrames(part)) {
      if (frame.type !== 'SYN_STREAM') continue;
      const header = (name) => frame.headers[frame.headers.indexOf(name) + 1];
      const path = header(':path');
      log({ msg: 'stream', stream: frame.streamId, method: header(':method'), path });
      try {
        await sock.send([rid, encodeSynReply(frame.streamId, [':status', '200']), encodeData(frame.streamId, Buffer.from(`minimal ${path}\n`), true)]);
      } catch { /* router gone */ }
    }
  }
}
