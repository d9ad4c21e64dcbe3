// Frames from workers (SPEC §3.2): reply frames to the stream the sender holds, WINDOW_UPDATE to its upload, and the
// worker's own frames (hello, PING, GOAWAY) to the pool. Also where response-window credit leaves: a grant made while
// a worker's message is read is sent after the message's last frame (SPEC §5.5).
import {
  ProtocolError, ReceiveWindow, RstStatus, SPLIT_DATA_MIN, WindowAllowance, encodeControl, encodePing, encodeRstStream,
  encodeWindowUpdate, isWorkerHello, parseRoutes, readFrames, type DecodeOptions, type Frame, type FrameVisitor, type ReceiveWindowOptions,
  type Route, type WorkerHello,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import { RouterError, type RouterErrorCode } from '../errors.js';
import { PublishError, parseItems, type PublishItem } from '../realtime/publish-item.js';
import type { RouterOptions } from '../options.js';
import { Resend, type ProxyStream } from '../streams/proxy-stream.js';
import type { StreamTable } from '../streams/stream-table.js';
import type { Dispatcher } from '../streams/dispatcher.js';
import type { Upload } from '../streams/upload.js';
import type { Liveness } from './liveness.js';
import { MINIMAL, type FrameSender, type Peer } from './worker-link.js';
import type { WorkerPool } from './worker-pool.js';

// Header bytes pass through unchanged (SPEC §3.3): see proxy-stream.ts.
const READ_OPTIONS: DecodeOptions = { headerEncoding: 'latin1' };

/**
 * Whether a hello's `id` is the routing id it came from (SPEC §5.2). A worker that never set ZMQ_ROUTING_ID has an id
 * libzmq made up, a new one on each reconnect: the router could not know it again, nor hand its connection over.
 */
function isOwnId(helloId: string, from: Peer): boolean {
  return helloId === from || Buffer.from(helloId).equals(Buffer.from(from, 'latin1'));
}

export type DemuxOptions = Pick<RouterOptions, 'streamWindow' | 'maxStreamWindow' | 'maxWindowGrowth' | 'maxClientBuffer' | 'heartbeatMs' | 'maxPublishSize'>;

export interface DemuxParts {
  table: StreamTable;
  pool: WorkerPool;
  link: FrameSender;
  liveness: Pick<Liveness, 'heard'>;
  dispatcher: Pick<Dispatcher, 'resend' | 'drainQueue'>;
  upload: Pick<Upload, 'credit'>;
  /** Where an in-band publish goes: the realtime layer's one publish path. */
  publish(items: PublishItem[], source: string): void;
}

export class ReplyDemux implements FrameVisitor {
  readonly #table: StreamTable;
  readonly #pool: WorkerPool;
  readonly #link: FrameSender;
  readonly #liveness: DemuxParts['liveness'];
  readonly #dispatcher: DemuxParts['dispatcher'];
  readonly #upload: DemuxParts['upload'];
  readonly #publish: DemuxParts['publish'];
  readonly #opts: DemuxOptions;
  readonly #session: string;
  readonly #log: Logger;
  /** Every extended stream's response window: starts at streamWindow, grows while the router-wide allowance lasts. */
  readonly #windows: ReceiveWindowOptions;
  /** The most response bytes a client may leave unread before it is cut (StreamHost). */
  readonly maxClientBuffer: number;
  /** Where the frames readFrames hands this visitor come from: set for each message. */
  #from: Peer = MINIMAL;
  /** Bytes of the message part being read: an in-band publish is bounded by it. */
  #partBytes = 0;
  /** True while a worker's message is read: credit granted meanwhile waits in #credited until its end. */
  #reading = false;
  readonly #credited: ProxyStream[] = [];
  /** Streams whose client writes are held (ProxyStream.holdWrites) until the message's last frame is read. */
  readonly #holding: ProxyStream[] = [];

  constructor(parts: DemuxParts, opts: DemuxOptions, session: string, log: Logger) {
    this.#table = parts.table;
    this.#pool = parts.pool;
    this.#link = parts.link;
    this.#liveness = parts.liveness;
    this.#dispatcher = parts.dispatcher;
    this.#upload = parts.upload;
    this.#publish = parts.publish;
    this.#opts = opts;
    this.#session = session;
    this.#log = log;
    this.#windows = { max: opts.maxStreamWindow, allowance: new WindowAllowance(opts.maxWindowGrowth) };
    this.maxClientBuffer = opts.maxClientBuffer;
  }

  /** A message from `from`; its frames are in parts `first` onwards. */
  message(from: Peer, msg: Buffer[], first: number): void {
    const worker = from === MINIMAL ? undefined : this.#pool.get(from);
    if (worker !== undefined) this.#liveness.heard(worker, Date.now());
    this.#from = from;
    this.#reading = true;
    try {
      for (let i = first; i < msg.length;) {
        this.#partBytes = msg[i].length;
        i += readFrames(msg[i], this, READ_OPTIONS, msg[i + 1]);
      }
    } finally {
      // Released while still reading: the credit they grant goes out after the message, with the rest.
      const holding = this.#holding;
      for (let i = 0; i < holding.length; i++) holding[i].releaseWrites();
      holding.length = 0;
      this.#reading = false;
      const credited = this.#credited;
      for (let i = 0; i < credited.length; i++) this.#sendCredit(credited[i]);
      credited.length = 0;
    }
  }

  /** StreamHost: the stream has response-window credit to send. */
  credit(stream: ProxyStream): void {
    // A worker writes a message before it can see credit granted while the router reads it: granted now, it would
    // let the rest of that message overrun the window unnoticed. So it applies, and is sent, after the message.
    if (this.#reading) this.#credited.push(stream);
    else this.#sendCredit(stream);
  }

  #sendCredit(stream: ProxyStream): void {
    const bytes = stream.takeCredit();
    const to = stream.worker;
    if (bytes > 0 && stream.live && to !== undefined && to !== MINIMAL) this.#link.send(to, encodeWindowUpdate(stream.id, bytes));
  }

  /** StreamHost: the worker broke the protocol on this stream. */
  rejectReply(stream: ProxyStream, detail: string, rst?: number): void {
    this.#log.warn({ stream: stream.id, worker: this.#workerName(stream.worker), detail }, 'malformed reply from worker');
    stream.fail(new RouterError('ROUTER_ERR_BAD_REPLY', { streamId: stream.id, detail, rstStatus: rst }));
  }

  /** StreamHost: the stream's client was cut for leaving too much unread. */
  clientTooSlow(stream: ProxyStream, buffered: number): void {
    this.#log.warn({ stream: stream.id, bytes: buffered, limit: this.maxClientBuffer }, 'client too slow: buffered past --max-client-buffer');
  }

  /** FrameVisitor: one frame of the message being read. */
  frame(frame: Frame): void {
    try {
      this.#onFrame(this.#from, frame);
    } catch (err) {
      this.badFrame(err);
    }
  }

  /** FrameVisitor: a frame of the message being read that does not decode (or a reply frame that breaks a rule). */
  badFrame(err: unknown): void {
    if (!(err instanceof ProtocolError)) throw err;
    const from = this.#from;
    this.#log.warn({ worker: this.#workerName(from), code: err.code, stream: err.streamId || undefined, reason: err.message }, 'malformed frame from worker');
    const stream = err.streamId ? this.#owned(from, err.streamId) : undefined;
    // The failed stream's release sends the one RST_STREAM, with the status the decoder named.
    stream?.fail(new RouterError('ROUTER_ERR_BAD_REPLY', { streamId: stream.id, detail: err.message, rstStatus: err.rstStatus }));
  }

  #onFrame(from: Peer, frame: Frame): void {
    switch (frame.type) {
      case 'SYN_REPLY': {
        const stream = this.#owned(from, frame.streamId);
        if (stream === undefined) return;
        stream.onSynReply(frame, from === MINIMAL ? undefined : new ReceiveWindow(this.#opts.streamWindow, this.#windows));
        return;
      }
      case 'DATA': {
        const stream = this.#owned(from, frame.streamId);
        if (stream === undefined) return;
        // A large payload's write waits for the message's others to the same client: one writev for all. Not a
        // response's last frame (a 64 KiB response is one): nothing of it would follow.
        if (frame.data.length >= SPLIT_DATA_MIN && !frame.fin && stream.holdWrites()) this.#holding.push(stream);
        stream.onData(frame);
        return;
      }
      case 'HEADERS': {
        this.#owned(from, frame.streamId)?.onTrailers(frame);
        return;
      }
      case 'RST_STREAM': {
        const stream = this.#owned(from, frame.streamId);
        if (stream) this.#onWorkerReset(stream, frame.status);
        return;
      }
      case 'WINDOW_UPDATE': {
        if (from === MINIMAL || frame.streamId === 0) return;
        const stream = this.#owned(from, frame.streamId);
        if (stream?.upload !== undefined) this.#upload.credit(stream, frame.delta);
        return;
      }
      case 'CONTROL':
        if (from === MINIMAL) return;
        if (isWorkerHello(frame.payload)) this.#onHello(from, frame.payload);
        else if (frame.payload.t === 'publish') this.#onPublish(from, frame.payload);
        return;
      case 'PING':
        // Echo only the worker's own PINGs (even ids); odd ids are the router's coming back (SPEC §3.2).
        if (from !== MINIMAL && frame.id % 2 === 0 && this.#pool.get(from)) this.#link.send(from, encodePing(frame.id));
        return;
      case 'GOAWAY': {
        const worker = from === MINIMAL ? undefined : this.#pool.get(from);
        if (worker && !worker.draining) {
          worker.draining = true;
          this.#log.info({ worker: worker.name }, 'worker draining');
        }
        return;
      }
      default:
        return; // SETTINGS, SYN_STREAM (workers never open streams), unknown types: ignored (SPEC §3.2)
    }
  }

  /** The stream, if `from` is the one holding it; otherwise tell an addressable sender to stop. */
  #owned(from: Peer, streamId: number): ProxyStream | undefined {
    const stream = this.#table.get(streamId);
    if (stream !== undefined && stream.heldBy(from)) return stream;
    if (from !== MINIMAL) {
      this.#log.debug({ stream: streamId, worker: this.#workerName(from) }, 'frame for a stream this worker does not hold');
      this.#link.send(from, encodeRstStream(streamId, stream === undefined ? RstStatus.INVALID_STREAM : RstStatus.CANCEL));
    }
    return undefined;
  }

  #onWorkerReset(stream: ProxyStream, status: number): void {
    // The worker promises it did not process the stream (SPEC §5.6): send it elsewhere if nothing forbids it. Not
    // after its SYN_REPLY: a worker that answered did process it, and breaks the protocol with that promise.
    if (status === RstStatus.REFUSED_STREAM && stream.awaitingReply) {
      stream.refused();
      if (stream.mayResend() !== Resend.NO) return this.#dispatcher.resend(stream, 'ROUTER_ERR_WORKER_RESET');
    }
    stream.fail(new RouterError('ROUTER_ERR_WORKER_RESET', { streamId: stream.id, detail: `RST_STREAM status ${status}` }));
  }

  #onHello(from: Peer, hello: WorkerHello): void {
    if (!isOwnId(hello.id, from)) {
      this.#log.warn({ id: Buffer.from(from, 'latin1').toString('hex'), helloId: hello.id, name: hello.name }, 'hello refused: its id is not the routing id');
      return;
    }
    let routes: Route[];
    try {
      routes = parseRoutes(hello.routes);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.#refuseHello(from, hello, err.message);
    }
    const before = this.#pool.get(from)?.maxStreams ?? 0;
    const greeted = this.#pool.greet(from, hello, Date.now(), routes);
    if (greeted === undefined) return this.#refuseHello(from, hello, `the router keeps no more routes (${this.#pool.routes.size})`);
    const { worker, isNew } = greeted;
    if (isNew) {
      this.#log.info({ worker: worker.name, id: from, maxStreams: worker.maxStreams, routes: hello.routes }, 'worker joined');
      this.#link.send(from, encodeControl({ t: 'welcome', session: this.#session, window: this.#opts.streamWindow, heartbeatMs: this.#opts.heartbeatMs }));
    }
    // New credit, from a new worker or a raised limit, takes queued streams now rather than when a stream ends.
    if (worker.maxStreams > before) this.#dispatcher.drainQueue();
  }

  /** A hello whose routes cannot be taken: logged, and the worker told (`refused`); it gets no welcome and no streams. */
  #refuseHello(from: Peer, hello: WorkerHello, detail: string): void {
    const err = new RouterError('ROUTER_ERR_ROUTES_REFUSED', { detail });
    this.#log.warn({ worker: String(hello.name), code: err.code, reason: err.message }, 'hello refused: its routes');
    this.#link.send(from, encodeControl({ t: 'refused', code: err.code, reason: err.message }));
  }

  /**
   * An in-band publish (the CONTROL `publish` message): the same items, rules and size bound as the HTTP publish API,
   * then the same publish path. Answered with `published`, `ok` once every item is accepted, or the refusal's code.
   */
  #onPublish(from: Peer, payload: Record<string, unknown>): void {
    const ref = payload.ref;
    if (!Number.isInteger(ref) || (ref as number) < 0 || (ref as number) > 0xffffffff) {
      this.#log.warn({ worker: this.#workerName(from) }, 'in-band publish without a uint32 ref: ignored');
      return;
    }
    const refuse = (code: RouterErrorCode, detail: string): void => {
      const err = new RouterError(code, { detail });
      this.#log.info({ worker: this.#workerName(from), code, reason: err.message }, 'in-band publish refused');
      this.#link.send(from, encodeControl({ t: 'published', ref, ok: false, code, reason: err.message }));
    };
    if (this.#partBytes > this.#opts.maxPublishSize) return refuse('ROUTER_ERR_PUBLISH_TOO_LARGE', `${this.#partBytes} > ${this.#opts.maxPublishSize} bytes`);
    let items: PublishItem[];
    try {
      items = parseItems(payload.items);
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      return refuse('ROUTER_ERR_BAD_PUBLISH', err.message);
    }
    this.#link.send(from, encodeControl({ t: 'published', ref, ok: true }));
    this.#publish(items, 'in-band');
  }

  #workerName(peer: Peer | undefined): string {
    if (peer === undefined) return '-';
    if (peer === MINIMAL) return 'minimal';
    return this.#pool.get(peer)?.name ?? peer;
  }
}
