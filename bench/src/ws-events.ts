// The stateless WebSocket app of the WebSocket bench, as Pushpin's WebSocket-over-HTTP protocol has it: one batch of
// events in, the reply's events out. Shared by the Switchboard worker (ws-worker.ts) and the node:http backend behind
// Pushpin (ws-backends.ts), so both proxies front the same app.
//   /echo   accepts, echoes TEXT and BINARY, answers CLOSE
//   /sub    accepts with the grip extension, subscribes to channel "bench" and detaches (idle and fan-out sockets)

import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventParser, encodeEvent, type WebSocketEventType } from '@switchboard/protocol';

export interface BatchReply { headers: Record<string, string>; body: Buffer }

/** A batch's events, read with the protocol's codec (the one the SDK and the router's stream mode use). */
function decode(buf: Buffer): Array<[string, Buffer | null]> {
  const out: Array<[string, Buffer | null]> = [];
  new EventParser({ event: (type, content) => out.push([type, content]) }, buf.length).push(buf);
  return out;
}

function encode(events: Array<[WebSocketEventType, Buffer | string | null]>): Buffer {
  return Buffer.concat(events.map(([type, content]) => encodeEvent(type, content === null ? null : Buffer.from(content))));
}

export function answerBatch(path: string, body: Buffer): BatchReply {
  const headers: Record<string, string> = { 'content-type': 'application/websocket-events' };
  const out: Array<[WebSocketEventType, Buffer | string | null]> = [];
  const sub = path.startsWith('/sub');
  for (const [type, content] of decode(body)) {
    if (type === 'OPEN') {
      out.push(['OPEN', null]);
      if (sub) {
        headers['sec-websocket-extensions'] = 'grip';
        out.push(['TEXT', 'c:{"type":"subscribe","channel":"bench"}'], ['TEXT', 'c:{"type":"detach"}']);
      }
    } else if (type === 'TEXT' || type === 'BINARY') out.push([type, content]);
    else if (type === 'CLOSE') out.push(['CLOSE', content]);
  }
  return { headers, body: encode(out) };
}

/** Reads a batch request and answers it (node:http, or the SDK's node:http-style handler). */
export function serveBatch(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = answerBatch(req.url ?? '/', Buffer.concat(chunks));
    res.writeHead(200, reply.headers);
    res.end(reply.body);
  });
}
