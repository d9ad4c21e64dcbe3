// A bench-only Switchboard worker for the streamed-response scenario: GET /N answers N bytes, written in 64 KiB
// DATA frames as the router's flow-control window allows (the hello example would hold the whole body in memory);
// PUT /upload reads the request body as it streams in and answers with its length (the streamed-upload scenario).
//   node bytes-worker.js <name> --connect ENDPOINT --control ENDPOINT
import { parseArgs } from 'node:util';
import { countUpload, streamBytes } from './stream-bytes.js';
import { announce, createExampleWorker } from '@switchboard/examples';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { connect: { type: 'string' }, control: { type: 'string' } },
});
const name = positionals[0] ?? 'bytes';


const options = { name, connect: values.connect ?? 'tcp://127.0.0.1:8000', control: values.control };
const worker = createExampleWorker(options);
worker.handle((req, res) => (req.url === '/upload' ? countUpload(req, res) : streamBytes(res, Number(req.url.slice(1)) || 0)));
announce(worker, options, { app: 'bytes' });
