// The WebSocket bench's app as a Switchboard worker (the SDK, node:http style): answerBatch for each batch.
//   node bench/dist/ws-worker.js BIND CONTROL NAME
import { Worker } from '@switchboard/worker-sdk';
import { answerBatch } from './ws-events.js';

const [connect, control, name] = process.argv.slice(2);
new Worker({ connect: connect!, control: control!, name, concurrency: 256 }).handle((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = answerBatch(req.url ?? '/', Buffer.concat(chunks));
    res.writeHead(200, reply.headers);
    res.end(reply.body);
  });
});
