// The chat example (issue 12): a browser page and its WebSocket, served by one SDK worker connected to every router.
// GET / is the page (examples/chat/index.html); /chat/<room>?name=<who> is the room's WebSocket. The routers hold the
// sockets; the worker sees each socket's events as WebSocket-over-HTTP batches (stateless: any worker, any router) and
// handles them with @fanoutio/grip's WebSocketContext, unchanged: OPEN subscribes the socket to the room's channel, and
// each message is published to it in-band (worker.publish), which every router the worker is connected to delivers to
// its own subscribers. Two routers, one room: clients on either see everything.
import { readFileSync } from 'node:fs';
import { encodeWebSocketEvents, getWebSocketContextFromReq, isWsOverHttp } from '@fanoutio/grip';
import type { Worker } from '@switchboard/worker-sdk';
import { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';

export type ChatOptions = ExampleOptions;

const PAGE = readFileSync(new URL('../chat/index.html', import.meta.url));
const ROOM = /^\/chat\/([A-Za-z0-9_-]{1,64})$/;
/** The longest name and message relayed, characters: a chat line, not a file transfer. */
const MAX_NAME = 32;
const MAX_TEXT = 2000;

/** The channel a room's sockets are subscribed to. */
export function roomChannel(room: string): string {
  return `chat:${room}`;
}

export function runChat(options: ChatOptions): Worker {
  const worker = createExampleWorker(options);
  worker.fetch(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/' && request.method === 'GET') {
      return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    const room = ROOM.exec(url.pathname)?.[1];
    if (room === undefined) return new Response('Not Found\n', { status: 404 });
    if (!isWsOverHttp(request)) return new Response('This is a WebSocket: open it with ws://\n', { status: 400 });
    const ws = await getWebSocketContextFromReq(request);
    const from = (url.searchParams.get('name') ?? '').trim().slice(0, MAX_NAME) || 'anonymous';
    if (ws.isOpening()) {
      ws.accept();
      ws.subscribe(roomChannel(room));
    }
    while (ws.canRecv()) {
      const text = ws.recv();
      if (text === null) { // the client closed: answer its close
        ws.close();
        break;
      }
      const line = JSON.stringify({ from, text: text.slice(0, MAX_TEXT) });
      await worker.publish(roomChannel(room), { 'ws-message': { content: line } });
    }
    return new Response(Buffer.from(encodeWebSocketEvents(ws.getOutgoingEvents())), { headers: ws.toHeaders() });
  });
  return announce(worker, options, {});
}
