// The transport's floor (issue 15): a bare zeromq.js DEALER⇄ROUTER round trip with the router's message sizes, one
// message in flight, so that the router's latency at one connection can be read against it in the same run.
//   node zmq-floor.js echo --bind ENDPOINT --reply BYTES        a ROUTER answering every message with BYTES bytes
//   node zmq-floor.js client --connect ENDPOINT --request BYTES --seconds S
//                                                              a DEALER; prints {requests, rps, p50Ms, p99Ms} as JSON
//   node zmq-floor.js relay --listen PORT --connect ENDPOINT --request BYTES   (PORT 0: any, printed)
//                                                              the floor with the client's HTTP hop in it: a net server
//                                                              answering each request head with a fixed hello response
//                                                              after one DEALER round trip to the echo (wrk -c1: one
//                                                              request in flight, as zeromq.js takes one pending send)
// The echo is the worker's side (a ROUTER), the client the router's (a DEALER); the echo binds, as the bench's other
// targets listen, which changes nothing once connected.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Dealer, Router } from 'zeromq';

/** Round trips before the measured ones: connection set-up and the first allocations are not the floor. */
const WARM_ROUND_TRIPS = 200;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bind: { type: 'string' },
    connect: { type: 'string' },
    listen: { type: 'string' },
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

/** The router's answer to a wrk GET from the hello worker, byte for byte in size. */
const HELLO_RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 14\r\n' +
  'date: Wed, 02 Dec 2026 13:00:00 GMT\r\n\r\nHello from w1\n', 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n');

/** No HTTP parsing, no headers: what any proxy over zeromq.js pays at least, a client hop and a ZeroMQ round trip. */
async function relay(port: number, endpoint: string, requestBytes: number): Promise<void> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(endpoint);
  const request = Buffer.alloc(requestBytes, 'q');
  // One echo answers in order: the oldest waiting client gets the next reply.
  const waiting: Socket[] = [];
  const server = createServer({ noDelay: true }, (socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf(HEAD_END); end >= 0; end = pending.indexOf(HEAD_END)) {
        pending = pending.subarray(end + HEAD_END.length);
        waiting.push(socket);
        void dealer.send(request);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ listening: (server.address() as AddressInfo).port })));
  for (;;) {
    await dealer.receive();
    const socket = waiting.shift();
    if (socket !== undefined && !socket.destroyed) socket.write(HELLO_RESPONSE);
  }
}

const mode = positionals[0];
if (mode === 'echo' && values.bind) {
  await echo(values.bind, Number(values.reply));
} else if (mode === 'relay' && values.listen && values.connect) {
  await relay(Number(values.listen), values.connect, Number(values.request));
} else if (mode === 'client' && values.connect) {
  await client(values.connect, Number(values.request), Number(values.seconds));
} else {
  console.error('usage: zmq-floor.js echo --bind ENDPOINT [--reply BYTES] | client --connect ENDPOINT [--request BYTES] [--seconds S] | relay --listen PORT --connect ENDPOINT [--request BYTES]');
  process.exit(2);
}
