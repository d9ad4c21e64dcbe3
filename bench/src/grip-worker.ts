// The Switchboard worker of the fan-out bench (fanout.ts): GRIP holds on channel "bench", the same replies the
// node:http server gives Pushpin (hello-server.ts /hold and /poll), and POST /publish publishing in-band.
//   node grip-worker.js CONTROL_ENDPOINT REQUEST_ENDPOINT
import { Worker, type PublishFormatsInput } from '@switchboard/worker-sdk';

const [control, connect] = process.argv.slice(2);
const worker = new Worker({ name: 'grip-bench', connect: [connect], control: [control], concurrency: 4 });
worker.fetch(async (request) => {
  const path = new URL(request.url, 'http://localhost').pathname;
  // fanout.ts --via inband: the body is the item's formats, published in-band (CONTROL) to every router.
  if (path === '/publish' && request.method === 'POST') {
    const receivers = await worker.publish('bench', await request.json() as PublishFormatsInput);
    return new Response(`${receivers}\n`);
  }
  if (path === '/hold') return new Response(': open\n\n', { headers: { 'content-type': 'text/event-stream', 'grip-hold': 'stream', 'grip-channel': 'bench' } });
  if (path === '/poll') return new Response('{}\n', { headers: { 'content-type': 'application/json', 'grip-hold': 'response', 'grip-channel': 'bench', 'grip-timeout': '120' } });
  return new Response('Not Found\n', { status: 404 });
});
console.log(JSON.stringify({ msg: 'worker started' }));
