// The default WebSocket mode: Pushpin's WebSocket-over-HTTP (src/proxy/websocketoverhttp.cpp, wsproxysession.cpp).
// The router holds the socket; each batch of the client's events is one POST request stream to any worker
// (`Content-Type: application/websocket-events`, `Connection-Id`, the handshake's headers, `Meta-*`), and the
// reply's events go back to the client. One batch is in flight per socket; a worker's OPEN in the first reply sends
// the 101. With `Sec-WebSocket-Extensions: grip` in that reply, the worker's messages carry `m:` (content) or `c:`
// (control: subscribe, unsubscribe, detach, set-meta, keep-alive) prefixes. A subscribed socket is a Subscriber of
// the channel index and takes `ws-message` publishes; a detached one costs no worker anything.
import { EventSyntaxError, WEBSOCKET_EVENTS_TYPE } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { RequestSink } from '../http/request-intake.js';
import { ProxyStream } from '../streams/proxy-stream.js';
import type { ChannelIndex, Subscriber } from '../realtime/channel-index.js';
import { passes } from '../realtime/filters.js';
import type { PublishItem } from '../realtime/publish-item.js';
import { BatchExchange, type BatchOwner } from './batch-exchange.js';
import { decodeEvents, encodeEvents, type WsEvent } from './events.js';
import { GripControlError, parseGripControl, type GripControl } from './grip-control.js';
import type { ModeKind, WebSocketControl, WebSocketMode } from './mode.js';

/** What the mode needs from the router. */
export interface OverHttpHost {
  readonly sink: RequestSink;
  readonly index: ChannelIndex;
  readonly log: Logger;
}

/** Pushpin's BUFFER_SIZE: content bytes one batch carries at most, and what the client may have waiting before its
 * socket stops being read. */
export const MAX_BATCH = 200_000;
/** Times a batch whose worker was lost (or never reached) is sent again before the socket is closed (Pushpin's
 * RETRY_MAX). */
export const MAX_REPLAYS = 5;
/** The shortest Keep-Alive-Interval honoured, seconds. */
export const MIN_KEEP_ALIVE = 1;

// Request headers of the handshake a batch does not repeat: framing and this hop's own, or ones the batch sets.
const NOT_FORWARDED = new Set(['upgrade', 'connection', 'accept', 'connection-id', 'content-length', 'content-type', 'transfer-encoding', 'sec-websocket-extensions', 'content-bytes-replayed', 'keep-alive']);
// Router error codes meaning the batch's events may not have reached a worker's handler: sent again elsewhere.
const REPLAYABLE = new Set(['ROUTER_ERR_WORKER_LOST', 'ROUTER_ERR_NO_WORKER', 'ROUTER_ERR_BUSY', 'ROUTER_ERR_QUEUE_FULL', 'ROUTER_ERR_WORKER_TIMEOUT']);
// Reply headers that are the batch's own, never the client's 101.
const NOT_IN_101 = new Set(['content-type', 'content-length', 'keep-alive-interval', 'sec-websocket-extensions', 'date']);

const enum Phase {
  /** The OPEN batch is out: the client waits for its 101. */
  OPENING,
  OPEN,
  /** The router closed the client's socket for the worker (its CLOSE, a publish's close): the client's answering close
   * goes to a worker as a CLOSE event, or a DISCONNECT when the socket ends without one (Pushpin's wsproxysession
   * in_closed, and WebSocketOverHttp's disconnect of a socket destroyed while active). */
  CLOSING,
  /** A CLOSE or DISCONNECT went to the worker, or the socket is gone: no further batch. */
  ENDED,
}

function onKeepAliveBatch(mode: OverHttpMode): void { mode.keepAliveBatch(); }
function onClientKeepAlive(mode: OverHttpMode): void { mode.clientKeepAlive(); }

export class OverHttpMode implements WebSocketMode, BatchOwner, Subscriber {
  get kind(): ModeKind {
    return 'over-http';
  }

  readonly #ws: WebSocketControl;
  readonly #host: OverHttpHost;
  #phase = Phase.OPENING;
  /** Events waiting for the next batch. */
  #pending: WsEvent[] = NO_EVENTS;
  #pendingBytes = 0;
  #inFlight: BatchExchange | undefined;
  /** The events of the batch in flight, kept to send again (Content-Bytes-Replayed) if its worker is lost. */
  #inFlightEvents: WsEvent[] = NO_EVENTS;
  #replays = 0;
  /** The client's socket is paused while too much waits for the worker. */
  #paused = false;
  /** The worker's reply to OPEN had `Sec-WebSocket-Extensions: grip`: its messages carry m:/c: prefixes. */
  #grip = false;
  #prefix = 'm:';
  /** Meta-* the batches carry, set by Set-Meta-* reply headers and set-meta control messages. */
  #meta: Record<string, string> | undefined;
  /** Channels subscribed, with their filters. */
  #channels: Map<string, readonly string[]> | undefined;
  #detached = false;
  /** Keep-Alive-Interval: an empty batch after this many ms with nothing sent, so the worker may speak. */
  #pollMs = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  /** keep-alive control message: a message to the client after `ms` quiet (idle) or every `ms` (interval). */
  #keepAlive: { data: Buffer; binary: boolean; ms: number; idle: boolean } | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  /** The client's close went to the worker: its reply either answers it or the router does. */
  #closeForwarded = false;

  constructor(ws: WebSocketControl, host: OverHttpHost) {
    this.#ws = ws;
    this.#host = host;
  }

  // ---- the client's events (WebSocketMode) -------------------------------------------------------

  open(): void {
    this.#queue({ type: 'OPEN' });
  }

  message(data: Buffer, binary: boolean): void {
    // While the worker's close waits for the client's answer, what the client still sends goes to a worker too
    // (Pushpin relays it); after a close of the router's own (a failure, a detached socket's publish) it is dropped.
    const relayed = this.#phase === Phase.CLOSING || (this.#phase === Phase.OPEN && this.#ws.open);
    if (this.#detached || !relayed) return;
    this.#queue({ type: binary ? 'BINARY' : 'TEXT', content: data });
  }

  ping(): void {} // answered by the router: no worker is asked

  pong(): void {}

  close(code: number, reason: string): void {
    if (this.#phase !== Phase.OPEN || this.#detached) return this.#ws.close(code === 1005 ? 1000 : code, '');
    this.#closeForwarded = true;
    this.#queue({ type: 'CLOSE', content: closeEvent(code, reason) });
  }

  /** The client answered the close the router sent for the worker: its code goes to a worker (the last batch). */
  closeAnswered(code: number, reason: string): void {
    if (this.#phase !== Phase.CLOSING) return;
    this.#closeForwarded = true;
    this.#queue({ type: 'CLOSE', content: closeEvent(code, reason) });
  }

  disconnect(): void {
    // CLOSING without an answer (the client never sent its close, or left): the worker hears DISCONNECT.
    const wasOpen = this.#phase === Phase.OPEN || this.#phase === Phase.CLOSING;
    this.#phase = Phase.ENDED;
    this.#stopTimers();
    this.#unsubscribeAll();
    // The worker hears of an abrupt end, unless it let go of the socket (detach) or a close was exchanged.
    if (wasOpen && !this.#detached && !this.#closeForwarded) {
      this.#pending = [{ type: 'DISCONNECT' }];
      this.#pendingBytes = 0;
      if (this.#inFlight === undefined) this.#send();
    } else if (!this.#pending.some((e) => e.type === 'CLOSE')) {
      this.#pending = NO_EVENTS;
    } // else the client's close waits for the batch in flight: it still goes, after that batch's reply (#last)
  }

  drained(): void {}

  // ---- batches ---------------------------------------------------------------------------------------

  #queue(event: WsEvent): void {
    if (this.#pending === NO_EVENTS) this.#pending = [];
    this.#pending.push(event);
    this.#pendingBytes += event.content?.length ?? 0;
    if (this.#inFlight === undefined) this.#send();
    else if (this.#pendingBytes >= MAX_BATCH && !this.#paused) {
      this.#paused = true;
      this.#ws.pauseReading();
    }
  }

  /** Sends what waits as one batch: at most MAX_BATCH content bytes, and at least one event (or none: a
   * Keep-Alive-Interval poll). */
  #send(): void {
    let take = 0;
    let bytes = 0;
    const pending = this.#pending;
    while (take < pending.length && (take === 0 || bytes + (pending[take].content?.length ?? 0) <= MAX_BATCH)) {
      bytes += pending[take].content?.length ?? 0;
      take++;
    }
    this.#pendingBytes -= bytes;
    this.#dispatch(pending.splice(0, take), 0);
  }

  /** One batch as a request stream, dispatched as any request is. `replayed`: content bytes a worker may have seen. */
  #dispatch(events: WsEvent[], replayed: number): void {
    this.#inFlightEvents = events;
    let content = 0;
    for (const e of events) if (e.type !== 'OPEN' && e.type !== 'DISCONNECT') content += e.content?.length ?? 0;
    const body = encodeEvents(events);
    // The handshake's headers, less this hop's own and those the batch sets: built per batch, not kept per socket.
    const raw = this.#ws.request.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (!NOT_FORWARDED.has(name) && !name.startsWith('meta-')) headers.push(raw[i], raw[i + 1]);
    }
    headers.push('Accept', WEBSOCKET_EVENTS_TYPE, 'Content-Type', WEBSOCKET_EVENTS_TYPE, 'Content-Length', String(body.length), 'Connection-Id', this.#ws.id, 'Sec-WebSocket-Extensions', 'grip');
    if (replayed > 0) headers.push('Content-Bytes-Replayed', String(replayed));
    const meta = this.#meta;
    if (meta !== undefined) for (const name in meta) headers.push(`Meta-${name}`, meta[name]);
    const request = this.#ws.request;
    const batch = (this.#inFlight = new BatchExchange(this, request.url, headers, request.remoteAddress, content));
    const sink = this.#host.sink;
    const stream = (batch.stream = new ProxyStream(sink.nextStreamId(), batch, sink));
    if (body.length > 0) stream.readBody(body);
    stream.endBody();
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#host.log.debug({ ws: this.#ws.id, stream: stream.id, events: events.length, replayed }, 'websocket batch sent');
    sink.dispatch(stream);
  }

  replied(batch: BatchExchange, status: number, headers: readonly string[], body: Buffer): void {
    if (batch !== this.#inFlight) return;
    this.#inFlight = undefined;
    const log = this.#host.log;
    const events = this.#inFlightEvents;
    const error = headerValue(headers, 'x-switchboard-error');
    // Any batch, the DISCONNECT and the close answer of a socket already gone included, so the app learns of its end
    // (Pushpin retries every request but the OPEN's; that one's socket, once gone, needs no worker).
    if (error !== undefined && REPLAYABLE.has(error) && !(this.#phase === Phase.ENDED && events[0]?.type === 'OPEN') && this.#replays < MAX_REPLAYS) {
      this.#replays++;
      log.info({ ws: this.#ws.id, code: error, replay: this.#replays, bytes: batch.contentBytes }, 'websocket batch replayed');
      return this.#dispatch(events, batch.contentBytes);
    }
    this.#replays = 0;
    this.#inFlightEvents = NO_EVENTS;
    const closing = this.#phase === Phase.CLOSING || this.#phase === Phase.ENDED;
    if (closing && error !== undefined && events[0]?.type !== 'OPEN') {
      // No socket left to fail for it: the log is all that says the app never heard these events.
      log.warn({ ws: this.#ws.id, code: error, events: events.length }, 'websocket batch lost: the events of a closing socket may not have reached a worker');
    }
    if (this.#phase === Phase.ENDED) {
      // A client gone before its 101 whose worker accepted it: that worker hears DISCONNECT (Pushpin's
      // DisconnectManager). Otherwise only a DISCONNECT or close answer left waiting goes.
      if (events[0]?.type === 'OPEN' && isEventsReply(status, headers) && opens(body)) this.#pending = [{ type: 'DISCONNECT' }];
      return this.#last();
    }
    if (this.#phase === Phase.CLOSING) {
      // Closing: what the worker says now has no socket to go to; the batch carrying the client's answer is the last.
      if (events.some((e) => e.type === 'CLOSE')) this.#phase = Phase.ENDED;
      else this.#next();
      return;
    }
    if (!isEventsReply(status, headers)) {
      if (this.#phase === Phase.OPENING) return this.#reject(status, headers, body);
      log.warn({ ws: this.#ws.id, status, code: error }, 'websocket batch failed: closing the socket');
      return this.#fail(1011, 'worker error');
    }
    let replyEvents: WsEvent[];
    try {
      replyEvents = decodeEvents(body);
    } catch (err) {
      if (!(err instanceof EventSyntaxError)) throw err;
      log.warn({ ws: this.#ws.id, reason: err.message }, 'websocket batch reply malformed: closing the socket');
      return this.#phase === Phase.OPENING ? this.#reject(502, [], `502 Bad Gateway: the worker's events are malformed: ${err.message}\n`) : this.#fail(1011, 'worker error');
    }
    this.#readMeta(headers);
    const interval = headerValue(headers, 'keep-alive-interval');
    if (interval !== undefined) {
      const seconds = Number(interval);
      this.#pollMs = Number.isInteger(seconds) && seconds > 0 ? Math.max(seconds, MIN_KEEP_ALIVE) * 1000 : 0;
    }
    if (this.#phase === Phase.OPENING) {
      if (replyEvents[0]?.type !== 'OPEN') {
        log.warn({ ws: this.#ws.id }, 'websocket refused: the worker did not answer OPEN with OPEN');
        return this.#reject(502, [], '502 Bad Gateway: the worker did not accept the WebSocket (no OPEN event)\n');
      }
      replyEvents.shift();
      this.#accept(headers);
    }
    // After the worker's own CLOSE, what the client sent meanwhile (its messages, its close) still goes.
    if (!this.#apply(replyEvents)) {
      if ((this.#phase as Phase) === Phase.CLOSING) this.#next(); // #apply moved it: TS narrowed it before
      return;
    }
    if (events.some((e) => e.type === 'CLOSE') && this.#ws.open) this.#ws.close(1000, ''); // the worker did not answer the client's close
    this.#next();
  }

  cut(batch: BatchExchange, detail: string): void {
    if (batch !== this.#inFlight) return;
    this.#inFlight = undefined;
    this.#inFlightEvents = NO_EVENTS;
    if (this.#phase === Phase.ENDED) return this.#last();
    this.#host.log.warn({ ws: this.#ws.id, reason: detail }, 'websocket batch reply cut: closing the socket');
    if (this.#phase === Phase.OPENING) this.#reject(502, [], `502 Bad Gateway: ${detail}\n`);
    else this.#fail(1011, 'worker error');
  }

  /** After the socket ended: a DISCONNECT or close answer that waited for the batch in flight goes now. */
  #last(): void {
    if (this.#pending.length > 0) this.#send();
  }

  /** After a batch: the next one if events wait, else a Keep-Alive-Interval poll later. */
  #next(): void {
    if (this.#phase === Phase.ENDED || this.#detached) return;
    if (this.#paused && this.#pendingBytes < MAX_BATCH) {
      this.#paused = false;
      this.#ws.resumeReading();
    }
    if (this.#pending.length > 0) return this.#send();
    if (this.#pollMs > 0) {
      if (this.#pollTimer === undefined) this.#pollTimer = setTimeout(onKeepAliveBatch, this.#pollMs, this).unref();
      else this.#pollTimer.refresh();
    }
  }

  keepAliveBatch(): void {
    if (this.#inFlight === undefined && this.#phase === Phase.OPEN && !this.#detached) this.#send();
  }

  #accept(headers: readonly string[]): void {
    const extensions = headerValue(headers, 'sec-websocket-extensions');
    const grip = extensions === undefined ? undefined : parseGripExtension(extensions);
    if (grip !== undefined) {
      this.#grip = true;
      this.#prefix = grip;
    }
    const out: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (!NOT_IN_101.has(name) && !name.startsWith('set-meta-') && name !== 'x-switchboard-error') out.push(name, headers[i + 1]);
    }
    this.#phase = Phase.OPEN;
    this.#ws.accept(out);
  }

  #reject(status: number, headers: readonly string[], body: Buffer | string): void {
    this.#phase = Phase.ENDED;
    this.#ws.reject(status, headers, body);
  }

  /** Closes the client's socket from the router's side (the worker failed it): no DISCONNECT follows. */
  #fail(code: number, reason: string): void {
    this.#closeForwarded = true;
    this.#ws.close(code, reason);
  }

  /** The reply's events, in order; false once the socket is done with. */
  #apply(events: readonly WsEvent[]): boolean {
    for (const e of events) {
      switch (e.type) {
        case 'TEXT':
        case 'BINARY':
          this.#fromWorker(e.content ?? EMPTY, e.type === 'BINARY');
          break;
        case 'PING':
          this.#ws.ping(e.content ?? EMPTY);
          break;
        case 'PONG':
          break; // an answer to a ping the router answered itself
        case 'CLOSE': {
          const c = e.content ?? EMPTY;
          this.#ws.close(c.length >= 2 ? c.readUInt16BE(0) : 1005, c.length > 2 ? c.toString('utf8', 2) : '');
          // An answer to the client's close ends it all. A close of the worker's own waits for the client's answer, or
          // crossed it: the client's close, queued behind this batch, still goes (Pushpin sends it after the worker's).
          this.#phase = this.#closeForwarded && !this.#pending.some((p) => p.type === 'CLOSE') ? Phase.ENDED : Phase.CLOSING;
          return false;
        }
        case 'DISCONNECT':
          this.#closeForwarded = true;
          this.#phase = Phase.ENDED;
          this.#ws.destroy();
          return false;
        case 'OPEN':
          this.#host.log.warn({ ws: this.#ws.id }, 'websocket worker sent OPEN twice: closing the socket');
          this.#fail(1011, 'worker error');
          return false;
      }
      if (this.#phase === Phase.ENDED) return false;
    }
    return true;
  }

  /** A message from the worker: with grip, `c:` is a control message, the prefix is stripped, unprefixed is dropped. */
  #fromWorker(data: Buffer, binary: boolean): void {
    if (!this.#grip) return void this.#sendToClient(data, binary);
    if (!binary && data.length >= 2 && data[0] === 0x63 /* c */ && data[1] === 0x3a /* : */) return this.#control(data.toString('utf8', 2));
    const prefix = this.#prefix;
    if (data.length >= prefix.length && data.toString('latin1', 0, prefix.length) === prefix) this.#sendToClient(data.subarray(prefix.length), binary);
    else this.#host.log.debug({ ws: this.#ws.id }, 'websocket message without the grip prefix dropped');
  }

  #sendToClient(data: Buffer, binary: boolean): void {
    this.#ws.send(data, binary);
    if (this.#keepAlive?.idle) this.#keepAliveTimer?.refresh();
  }

  #control(json: string): void {
    let control: GripControl;
    try {
      control = parseGripControl(json);
    } catch (err) {
      if (!(err instanceof GripControlError)) throw err;
      this.#host.log.warn({ ws: this.#ws.id, reason: err.message }, 'websocket grip control message refused');
      return;
    }
    switch (control.type) {
      case 'subscribe':
        (this.#channels ??= new Map()).set(control.channel, control.filters);
        this.#host.index.subscribe(control.channel, this);
        break;
      case 'unsubscribe':
        if (this.#channels?.delete(control.channel)) this.#host.index.unsubscribe(control.channel, this);
        break;
      case 'detach':
        // No more batches: the client's messages are dropped, and the worker is not asked again (publishes still come).
        this.#detached = true;
        this.#pending = NO_EVENTS;
        this.#pendingBytes = 0;
        if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
        this.#pollTimer = undefined;
        break;
      case 'set-meta':
        this.#setMeta(control.name, control.value);
        break;
      case 'keep-alive':
        if (this.#keepAliveTimer !== undefined) clearTimeout(this.#keepAliveTimer);
        this.#keepAliveTimer = undefined;
        this.#keepAlive = undefined;
        if (control.data === undefined) break;
        this.#keepAlive = { data: control.data, binary: control.binary, ms: control.timeout * 1000, idle: control.mode === 'idle' };
        this.#keepAliveTimer = setTimeout(onClientKeepAlive, this.#keepAlive.ms, this).unref();
        break;
      case 'session':
        break;
    }
  }

  clientKeepAlive(): void {
    const keepAlive = this.#keepAlive;
    if (keepAlive === undefined || !this.#ws.open) return;
    this.#ws.send(keepAlive.data, keepAlive.binary);
    this.#keepAliveTimer?.refresh();
  }

  #readMeta(headers: readonly string[]): void {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name.length <= 9 || !name.startsWith('set-meta-')) continue;
      this.#setMeta(name.slice(9), headers[i + 1]);
    }
  }

  /** An empty value removes the name. */
  #setMeta(name: string, value: string): void {
    if (value === '') {
      if (this.#meta !== undefined) delete this.#meta[name];
    } else (this.#meta ??= {})[name] = value;
  }

  // ---- publishes (Subscriber) ------------------------------------------------------------------------

  deliver(item: PublishItem, channel: string): void {
    const format = item.wsMessage;
    if (format === undefined || !this.#ws.open) return;
    const filters = this.#channels?.get(channel);
    if (filters !== undefined && filters.length > 0 && !passes(filters, this.#meta ?? NO_META, item.meta, [...this.#channels!.keys()])) return;
    if (format.action === 'close') {
      // A detached socket's worker is not told; otherwise the client's answer goes to a worker, as Pushpin does.
      if (this.#phase === Phase.OPEN && !this.#detached && !this.#closeForwarded) this.#phase = Phase.CLOSING;
      else this.#closeForwarded = true;
      this.#ws.close(format.code ?? 1005, format.reason ?? '');
    } else if (format.action === 'send') {
      if (format.control === 'ping') this.#ws.ping(format.content);
      else if (format.control === 'pong') this.#ws.pong(format.content);
      else this.#sendToClient(format.content, format.binary);
    }
  }

  #unsubscribeAll(): void {
    if (this.#channels === undefined) return;
    for (const channel of this.#channels.keys()) this.#host.index.unsubscribe(channel, this);
    this.#channels = undefined;
  }

  #stopTimers(): void {
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    if (this.#keepAliveTimer !== undefined) clearTimeout(this.#keepAliveTimer);
    this.#pollTimer = undefined;
    this.#keepAliveTimer = undefined;
  }
}

const EMPTY = Buffer.alloc(0);
const NO_EVENTS: WsEvent[] = [];
const NO_META: Readonly<Record<string, string>> = Object.freeze({});

/** A CLOSE event's content: the 2-byte code and the reason, or nothing for 1005 (a close frame without a code). */
function closeEvent(code: number, reason: string): Buffer {
  return code === 1005 ? EMPTY : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);
}

/** A batch's reply that carries events: 200 with `Content-Type: application/websocket-events`. */
function isEventsReply(status: number, headers: readonly string[]): boolean {
  const type = headerValue(headers, 'content-type');
  return status === 200 && type !== undefined && type.split(';')[0].trim() === WEBSOCKET_EVENTS_TYPE;
}

/** The reply's events begin with OPEN: the worker accepted the socket. */
function opens(body: Buffer): boolean {
  try {
    return decodeEvents(body)[0]?.type === 'OPEN';
  } catch (err) {
    if (err instanceof EventSyntaxError) return false;
    throw err;
  }
}

function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/** The message prefix of a `grip` extension in Sec-WebSocket-Extensions (`grip; message-prefix="x"`), default `m:`;
 * undefined when the header offers no grip extension. */
export function parseGripExtension(value: string): string | undefined {
  for (const extension of value.split(',')) {
    const [name, ...params] = extension.split(';').map((p) => p.trim());
    if (name.toLowerCase() !== 'grip') continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'message-prefix') continue;
      return param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    return 'm:';
  }
  return undefined;
}
