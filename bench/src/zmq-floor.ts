// The transport's floor (issue 15): a bare zeromq.js DEALER⇄ROUTER round trip with the router's message sizes, one
// message in flight, so that the router's latency at one connection can be read against it in the same run.
//   node zmq-floor.js echo --bind ENDPOINT --reply BYTES        a ROUTER answering every message with BYTES bytes
//   node zmq-floor.js client --connect ENDPOINT --request BYTES --seconds S
//                                                              a DEALER; prints {requests, rps, p50Ms, p99Ms} as JSON
// The echo is the worker's side (a ROUTER), the client the router's (a DEALER); the echo binds, as the bench's other
// targets listen, which changes nothing once connected.
import { parseArgs } from 'node:util';
import { Dealer, Router } from 'zeromq';

/** Round trips before the measured ones: connection set-up and the first allocations are not the floor. */
const WARM_ROUND_TRIPS = 200;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bind: { type: 'string' },
    connect: { type: 'string' },
    reply: { type: 'string', default: '140' },
    request: { type: 'string', default: '240' },
    seconds: { type: 'string', default: '5' },
  },
});

async function echo(endpoint: string, replyBytes: number): Promise<void> {
  const router = new Router();
  await router.bind(endpoint);
  // The bound address: a tcp port of 0 becomes the one the kernel chose.
  console.log(JSON.stringify({ listening: router.lastEndpoint }));
  const reply = Buffer.alloc(replyBytes, 'r');
  for await (const [id] of router) await router.send([id!, reply]);
}

async function client(endpoint: string, requestBytes: number, seconds: number): Promise<void> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(endpoint);
  const request = Buffer.alloc(requestBytes, 'q');
  const roundTrip = async (): Promise<void> => {
    await dealer.send(request);
    await dealer.receive();
  };
  for (let i = 0; i < WARM_ROUND_TRIPS; i++) await roundTrip();
  const times: number[] = [];
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(seconds * 1e9));
  for (let now = started; now < end;) {
    await roundTrip();
    const after = process.hrtime.bigint();
    times.push(Number(after - now) / 1e6);
    now = after;
  }
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  console.log(JSON.stringify({ requests: times.length, rps: times.length / elapsedS, p50Ms: at(0.5), p99Ms: at(0.99), errors: 0 }));
  dealer.close();
}

const mode = positionals[0];
if (mode === 'echo' && values.bind) {
  await echo(values.bind, Number(values.reply));
} else if (mode === 'client' && values.connect) {
  await client(values.connect, Number(values.request), Number(values.seconds));
} else {
  console.error('usage: zmq-floor.js echo --bind ENDPOINT [--reply BYTES] | client --connect ENDPOINT [--request BYTES] [--seconds S]');
  process.exit(2);
}
