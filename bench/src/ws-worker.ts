// The WebSocket bench's app as a Switchboard worker (the SDK, node:http style): answerBatch for each batch.
//   node bench/dist/ws-worker.js BIND CONTROL NAME
import { Worker } from '@switchboard/worker-sdk';
import { serveBatch } from './ws-events.js';

const [connect, control, name] = process.argv.slice(2);
new Worker({ connect: connect!, control: control!, name, concurrency: 256 }).handle(serveBatch);
