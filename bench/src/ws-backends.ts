// The WebSocket bench's peers' apps, printing {"msg":"listening","port":N}:
//   node bench/dist/ws-backends.js ws          a plain `ws` WebSocketServer echoing every message (the no-proxy peer)
//   node bench/dist/ws-backends.js over-http   a node:http server answering WebSocket-over-HTTP batches (behind Pushpin)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveBatch } from './ws-events.js';

const kind = process.argv[2];
const server = http.createServer(serveBatch);
if (kind === 'ws') {
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
}
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port })));
