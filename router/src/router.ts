// The router core: streams in from the HTTP front (client-exchange.ts), frames out through worker-link, reply frames back to their
// ProxyStream. Owns the stream table, the wait queue, worker liveness and failover (SPEC §4, §5).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  MAX_STREAM_ID, ProtocolError, RstStatus, controlEndpointFor, encodeControl, encodeData, encodePing,
  encodeRstStream, encodeSynStream, encodeWindowUpdate, isWorkerHello, readFrames, type DecodeOptions, type Frame,
  type FrameVisitor,
} from '@switchboard/protocol';
import { RouterError, type RouterErrorCode } from './errors.js';
import { requestPairs, isIdempotent } from './http/headers.js';
import { RequestIntake, type HttpFront, type RequestSink } from './http/client-exchange.js';
import { createLlhttpFront, loadLlhttp } from './http/llhttp-front.js';
import { createNodeFront } from './http/node-front.js';
import { admitWorkers } from './workers/curve.js';
import { parseListen, type RouterOptions } from './options.js';
import { ProxyStream, StreamState } from './streams/proxy-stream.js';
import { MINIMAL, WorkerLink, type LinkEvents, type Peer } from './workers/worker-link.js';
import { WorkerPool, type WorkerState } from './workers/worker-pool.js';

// Liveness (SPEC §5.2). Any message from a worker is a sign of life. While a worker holds streams it has not
// answered, the router PINGs it once it has been quiet for PING_AFTER_MS; one that leaves the PING unanswered for
// PING_TIMEOUT_MS is unresponsive: no new streams, and its unanswered idempotent streams move to another worker.
// Its connection and the streams that cannot move stay, so a worker that is only slow (a blocked event loop, a
// starved machine) loses nothing and takes streams again as soon as it speaks. A worker is dead only when its
// connection is gone. Deciding on an unanswered PING rather than on quiet alone keeps a late timer (measured here:
// setTimeout(200) firing after up to 1.4 s on an idle VM) from condemning a worker that was never asked.
const PING_AFTER_MS = 250;
const PING_TIMEOUT_MS = 500;
// The tick runs only while something waits on a clock (queued or unanswered streams): an idle router never wakes.
const TICK_MS = 100;
const PROBE_AGAIN_MS = [50, 150, 400, 1000];
// A stream sent this many times and answered by no worker is failed instead of sent again: a worker that refuses
// every stream (REFUSED_STREAM), or workers that keep dying or hanging under it, must not keep its client waiting
// forever while the router spins (measured before this bound: ~5,000 re-dispatches a second, and a client that hung).
const MAX_SENDS = 5;
// Header bytes pass through unchanged both ways: the HTTP parsers hand over header bytes as latin1 strings (one char
// per byte), and the codec writes and reads them the same way, whatever the bytes are (SPEC §3.3).
const HEADER_ENCODING = 'latin1';
const READ_OPTIONS: DecodeOptions = { headerEncoding: HEADER_ENCODING };
const SYN_OPTIONS = { headerEncoding: HEADER_ENCODING } as const;

/**
 * Whether a hello's `id` is the routing id it came from (SPEC §5.2). A worker that never set ZMQ_ROUTING_ID has an id
 * libzmq made up, a new one on each reconnect: the router could not know it again, nor hand its connection over.
 */
function isOwnId(helloId: string, from: Peer): boolean {
  return helloId === from || Buffer.from(helloId).equals(Buffer.from(from, 'latin1'));
}

export interface RouterAddress { http: string; bind: string; control: string }

export class SwitchboardRouter implements RequestSink, LinkEvents {
  readonly opts: RouterOptions;
  readonly log: Logger;
  readonly session = randomBytes(8).toString('hex');
  readonly #streams = new Map<number, ProxyStream>();
  readonly #queue: ProxyStream[] = [];
  /** Streams sent and not answered yet (state SENT), for worker timeouts and liveness; pruned lazily by the tick. */
  readonly #awaiting = new Set<ProxyStream>();
  readonly #pool = new WorkerPool();
  readonly #link: WorkerLink;
  readonly #front: HttpFront;
  #nextId = 1;
  #pingId = 1;
  #tick: NodeJS.Timeout | undefined;
  #closing = false;
  /** How far a stream's response window may grow (SPEC §5.5): never below where it starts, never past SPDY's 2^31-1. */
  readonly #maxWindow: number;
  /** Window growth granted to live streams, bytes: at most opts.maxWindowGrowth. */
  #windowGrowth = 0;
  readonly maxClientBuffer: number;
  /** True while a worker's message is read: credit granted meanwhile waits in #credited until its end. */
  #reading = false;
  readonly #credited: ProxyStream[] = [];
  /** Names this router's sockets to the allow list's ZAP handler, which every router in the process shares (set even
   * with no list: see worker-link.ts). */
  readonly #zapDomain = `switchboard-${this.session}`;
  /** Stops enforcing the allow list (set while it is enforced). */
  #withdrawAllowList: (() => void) | undefined;
  /** Set while close() waits for in-flight streams to finish. */
  #onIdle: (() => void) | undefined;
  /** Where the frames readFrames hands #reader come from: set for each message, so one reader serves them all. */
  #from: Peer = MINIMAL;
  readonly #reader: FrameVisitor = {
    frame: (frame) => {
      try {
        this.#onFrame(this.#from, frame);
      } catch (err) {
        this.#onBadFrame(this.#from, err);
      }
    },
    badFrame: (err) => this.#onBadFrame(this.#from, err),
  };

  constructor(opts: RouterOptions, log: Logger) {
    this.opts = opts;
    this.log = log;
    this.#maxWindow = Math.min(Math.max(opts.streamWindow, opts.maxStreamWindow), MAX_STREAM_ID);
    this.maxClientBuffer = opts.maxClientBuffer;
    const curve = opts.curveSecretKey ? { secretKey: opts.curveSecretKey, publicKey: opts.curvePublicKey! } : undefined;
    this.#link = new WorkerLink({ bind: opts.bind, controlBind: opts.controlBind ?? controlEndpointFor(opts.bind), zapDomain: this.#zapDomain, curve }, this);
    const intake = new RequestIntake(this, opts);
    const llhttp = opts.httpFront === 'node' ? undefined : loadLlhttp();
    if (llhttp === undefined && opts.httpFront !== 'node') log.warn('the llhttp binding inside this Node is not usable: falling back to node:http');
    this.#front = llhttp ? createLlhttpFront(llhttp, intake, opts, log) : createNodeFront(intake, opts, log);
  }

  /** Which HTTP front serves clients: "llhttp" or "node:http". */
  get front(): string {
    return this.#front.kind;
  }

  async start(): Promise<RouterAddress> {
    // The ZAP handler goes first: a worker connecting before it is there would be let in unchecked.
    if (this.opts.allowWorkers) this.#withdrawAllowList = await admitWorkers(this.#zapDomain, this.opts.allowWorkers, this.log);
    try {
      await this.#link.bind();
    } catch (err) {
      this.#withdrawAllowList?.();
      throw err;
    }
    const { host, port } = parseListen(this.opts.listen);
    await this.#front.listen(port, host);
    return this.address;
  }

  get address(): RouterAddress {
    const a = this.#front.address();
    return { http: a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '', ...this.#link.endpoints };
  }

  get activeStreams(): number {
    return this.#streams.size;
  }

  // ---- HTTP side (RequestSink) -------------------------------------------------------------------

  nextStreamId(): number {
    // Odd ids, increasing; past 2^31-1 start again at 1, skipping ids still live (SPEC §4.1).
    let id = this.#nextId;
    while (this.#streams.has(id)) id = id + 2 > MAX_STREAM_ID ? 1 : id + 2;
    this.#nextId = id + 2 > MAX_STREAM_ID ? 1 : id + 2;
    return id;
  }

  canStreamBodies(): boolean {
    return this.#pool.anyExtended();
  }

  dispatch(stream: ProxyStream): void {
    if (this.#closing) return stream.fail(this.#error('ROUTER_ERR_SHUTTING_DOWN', stream));
    this.#streams.set(stream.id, stream);
    if (stream.synStream === undefined) {
      stream.synStream = encodeSynStream(stream.id, requestPairs(stream.exchange, 'http'), stream.bodyComplete && stream.bodyBytes === 0, SYN_OPTIONS);
      stream.exchange.forgetHeaders(); // a held stream should not keep its request head alive
    }
    this.#route(stream);
  }

  /** Sends a stream to a worker with free credit, or queues it. Also for streams moving while the router drains. */
  #route(stream: ProxyStream): void {
    const target = this.#pool.pick(this.#link.minimalPeers, stream.streamingBody);
    if (target !== undefined) return this.#send(stream, target);
    if (this.#queue.length >= this.opts.maxQueue) return stream.fail(this.#error('ROUTER_ERR_QUEUE_FULL', stream));
    this.log.debug({ stream: stream.id }, 'stream queued');
    stream.state = StreamState.QUEUED;
    stream.deadline = Date.now() + (this.#pool.anyConnected(this.#link.minimalPeers) ? this.opts.queueTimeout : this.opts.noWorkerTimeout);
    this.#queue.push(stream);
    this.#startTick();
  }

  /** Sends a stream's first message: SYN_STREAM plus the body read so far (SPEC §3.1). */
  #send(stream: ProxyStream, target: WorkerState | typeof MINIMAL): void {
    const to = target === MINIMAL ? MINIMAL : target.id;
    stream.worker = to;
    stream.sends++;
    stream.state = StreamState.SENT;
    stream.sentAt = Date.now();
    stream.deadline = stream.sentAt + this.opts.workerTimeout;
    stream.neverDelivered = false;
    this.log.debug({ stream: stream.id, worker: this.#workerName(to) }, 'stream sent');
    const finished = stream.bodyComplete && !stream.streamingBody;
    this.#awaiting.add(stream);
    this.#startTick();
    this.#link.send(to, stream.synStream!, stream);
    const chunks = stream.body;
    for (let i = 0; i < chunks.length; i++) {
      this.#link.send(to, encodeData(stream.id, chunks[i], finished && i === chunks.length - 1), stream);
    }
    if (target === MINIMAL) return;
    target.streams.add(stream);
    if (stream.streamingBody) {
      stream.bodySent = stream.bodyBytes;
      stream.body = []; // a streamed body cannot be replayed: this stream is not re-dispatchable any more
      stream.sendWindow = target.window;
      if (stream.bodyComplete) this.uploadEnd(stream);
      else stream.exchange.resumeBody();
    }
  }

  uploadChunk(stream: ProxyStream, chunk: Buffer): boolean {
    const to = stream.worker!;
    let offset = 0;
    while (offset < chunk.length && stream.sendWindow > 0) {
      const n = Math.min(stream.sendWindow, chunk.length - offset, 1 << 20);
      this.#link.send(to, encodeData(stream.id, chunk.subarray(offset, offset + n)), stream);
      stream.sendWindow -= n;
      stream.bodySent += n;
      offset += n;
    }
    if (offset < chunk.length) {
      stream.body.push(chunk.subarray(offset)); // waits for WINDOW_UPDATE
      return false;
    }
    return stream.sendWindow > 0;
  }

  uploadEnd(stream: ProxyStream): void {
    if (stream.body.length > 0) return; // still waiting for credit; #onUploadCredit ends it
    this.#link.send(stream.worker!, encodeData(stream.id, Buffer.alloc(0), true), stream);
    // The worker timeout runs from the end of the request: a handler may well read the whole body first.
    stream.deadline = Date.now() + this.opts.workerTimeout;
  }

  #onUploadCredit(stream: ProxyStream, delta: number): void {
    stream.sendWindow += delta;
    const pending = stream.body;
    stream.body = [];
    for (const chunk of pending) {
      if (!this.uploadChunk(stream, chunk) && stream.body.length > 0) {
        stream.body.push(...pending.slice(pending.indexOf(chunk) + 1));
        return;
      }
    }
    if (stream.bodyComplete) this.uploadEnd(stream);
    else if (stream.sendWindow > 0) stream.exchange.resumeBody();
  }

  release(stream: ProxyStream, rst: number): void {
    if (this.#streams.get(stream.id) === stream) {
      this.#streams.delete(stream.id);
      this.#windowGrowth -= stream.windowGrowth;
    }
    this.#awaiting.delete(stream);
    const at = stream.worker;
    if (at !== undefined && at !== MINIMAL) {
      const worker = this.#pool.get(at);
      if (worker !== undefined && worker.streams.delete(stream)) {
        if (rst !== 0) this.#link.send(at, encodeRstStream(stream.id, rst));
        this.#drainQueue();
      }
    }
    if (this.#queue.length > 0) {
      const i = this.#queue.indexOf(stream);
      if (i !== -1) this.#queue.splice(i, 1);
    }
    if (this.#streams.size === 0) this.#onIdle?.();
  }

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

  growWindow(bytes: number): number {
    const granted = Math.max(0, Math.min(bytes, this.opts.maxWindowGrowth - this.#windowGrowth));
    this.#windowGrowth += granted;
    return granted;
  }

  rejectReply(stream: ProxyStream, detail: string, rst?: number): void {
    this.log.warn({ stream: stream.id, worker: this.#workerName(stream.worker), detail }, 'malformed reply from worker');
    stream.fail(new RouterError('ROUTER_ERR_BAD_REPLY', { streamId: stream.id, detail, rstStatus: rst }));
  }

  clientTooSlow(stream: ProxyStream, buffered: number): void {
    this.log.warn({ stream: stream.id, bytes: buffered, limit: this.maxClientBuffer }, 'client too slow: buffered past --max-client-buffer');
  }

  // ---- worker side (LinkEvents) ------------------------------------------------------------------

  message(from: Peer, msg: Buffer[], first: number): void {
    const worker = from === MINIMAL ? undefined : this.#pool.get(from);
    if (worker !== undefined) {
      worker.lastSeen = Date.now();
      worker.pingUnanswered = false;
      if (worker.unresponsive) this.#responsiveAgain(worker);
    }
    this.#from = from;
    this.#reading = true;
    try {
      for (let i = first; i < msg.length; i++) readFrames(msg[i], this.#reader, READ_OPTIONS);
    } finally {
      this.#reading = false;
      const credited = this.#credited;
      for (let i = 0; i < credited.length; i++) this.#sendCredit(credited[i]);
      credited.length = 0;
    }
  }

  #onFrame(from: Peer, frame: Frame): void {
    switch (frame.type) {
      case 'SYN_REPLY': {
        const stream = this.#owned(from, frame.streamId);
        if (stream === undefined) return;
        if (from === MINIMAL) stream.onSynReply(frame, Infinity, Infinity);
        else stream.onSynReply(frame, this.opts.streamWindow, this.#maxWindow);
        return;
      }
      case 'DATA': {
        this.#owned(from, frame.streamId)?.onData(frame, from !== MINIMAL);
        return;
      }
      case 'HEADERS': {
        const stream = this.#owned(from, frame.streamId);
        if (stream) stream.onTrailers(frame);
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
        if (stream && stream.streamingBody) this.#onUploadCredit(stream, frame.delta);
        return;
      }
      case 'CONTROL':
        if (from !== MINIMAL && isWorkerHello(frame.payload)) this.#onHello(from, frame.payload);
        return;
      case 'PING':
        // Echo only the worker's own PINGs (even ids); odd ids are the router's coming back (SPEC §3.2).
        if (from !== MINIMAL && frame.id % 2 === 0 && this.#pool.get(from)) this.#link.send(from, encodePing(frame.id));
        return;
      case 'GOAWAY': {
        const worker = from === MINIMAL ? undefined : this.#pool.get(from);
        if (worker && !worker.draining) {
          worker.draining = true;
          this.log.info({ worker: worker.name }, 'worker draining');
        }
        return;
      }
      default:
        return; // SETTINGS, SYN_STREAM (workers never open streams), unknown types: ignored (SPEC §3.2)
    }
  }

  /** The stream, if `from` is the one holding it; otherwise tell an addressable sender to stop. */
  #owned(from: Peer, streamId: number): ProxyStream | undefined {
    const stream = this.#streams.get(streamId);
    if (stream !== undefined && stream.worker === from && stream.live) return stream;
    if (from !== MINIMAL) {
      this.log.debug({ stream: streamId, worker: this.#workerName(from) }, 'frame for a stream this worker does not hold');
      this.#link.send(from, encodeRstStream(streamId, stream === undefined ? RstStatus.INVALID_STREAM : RstStatus.CANCEL));
    }
    return undefined;
  }

  #onBadFrame(from: Peer, err: unknown): void {
    if (!(err instanceof ProtocolError)) throw err;
    this.log.warn({ worker: this.#workerName(from), code: err.code, stream: err.streamId || undefined, reason: err.message }, 'malformed frame from worker');
    const stream = err.streamId ? this.#owned(from, err.streamId) : undefined;
    if (stream) {
      stream.fail(new RouterError('ROUTER_ERR_BAD_REPLY', { streamId: stream.id, detail: err.message }));
      if (from !== MINIMAL) this.#link.send(from, encodeRstStream(stream.id, err.rstStatus));
    }
  }

  #onWorkerReset(stream: ProxyStream, status: number): void {
    if (status === RstStatus.REFUSED_STREAM && !stream.replyStarted && this.#replayable(stream)) {
      // The worker promises it did not process the stream (SPEC §5.6): send it elsewhere.
      return this.#redispatch(stream, 'ROUTER_ERR_WORKER_RESET');
    }
    stream.fail(new RouterError('ROUTER_ERR_WORKER_RESET', { streamId: stream.id, detail: `RST_STREAM status ${status}` }));
  }

  #onHello(from: Peer, hello: Parameters<WorkerPool['greet']>[1]): void {
    if (!isOwnId(hello.id, from)) {
      this.log.warn({ id: Buffer.from(from, 'latin1').toString('hex'), helloId: hello.id, name: hello.name }, 'hello refused: its id is not the routing id');
      return;
    }
    const before = this.#pool.get(from)?.maxStreams ?? 0;
    const { worker, isNew } = this.#pool.greet(from, hello, Date.now());
    if (isNew) {
      this.log.info({ worker: worker.name, id: from, maxStreams: worker.maxStreams }, 'worker joined');
      this.#link.send(from, encodeControl({ t: 'welcome', session: this.session, window: this.opts.streamWindow, heartbeatMs: this.opts.heartbeatMs }));
    }
    // New credit, from a new worker or a raised limit, takes queued streams now rather than when a stream ends.
    if (worker.maxStreams > before) this.#drainQueue();
  }

  holds(stream: ProxyStream, peer: Peer): boolean {
    return stream.live && stream.worker === peer;
  }

  unreachable(peer: Peer, undelivered: ProxyStream[]): void {
    if (peer === MINIMAL) {
      // No minimal worker took them: they were never sent, whatever their method, so they do not count as a send.
      this.log.debug({ streams: undelivered.length }, 'no minimal worker to take the streams: routing them again');
      for (const stream of undelivered) {
        if (!this.holds(stream, MINIMAL)) continue;
        stream.sends--;
        this.#redispatch(stream, 'ROUTER_ERR_NO_WORKER');
      }
      return;
    }
    const worker = this.#pool.get(peer);
    if (worker === undefined) return;
    for (const stream of undelivered) if (worker.streams.has(stream)) stream.neverDelivered = true;
    this.#workerDead(worker, 'connection gone');
  }

  connection(endpoint: 'request' | 'control', event: string, reason?: string): void {
    if (reason === undefined) this.log.debug({ endpoint, event }, 'worker endpoint connection');
    else this.log.warn({ endpoint, event, reason }, 'worker handshake failed');
  }

  controlDisconnect(): void {
    // ZeroMQ does not say who left: probe everyone; a send to the one gone fails with EHOSTUNREACH. libzmq may
    // still hold the dying pipe when the event arrives, so probe again shortly after.
    this.log.debug({ workers: this.#pool.size }, 'control connection lost: probing workers');
    this.#probe();
    for (const ms of PROBE_AGAIN_MS) setTimeout(() => this.#probe(), ms).unref();
  }

  #probe(): void {
    for (const worker of this.#pool.all()) this.#ping(worker, Date.now());
  }

  #ping(worker: WorkerState, now: number): void {
    worker.pingedAt = now;
    worker.pingUnanswered = true;
    this.#link.send(worker.id, encodePing(this.#pingId));
    this.#pingId = this.#pingId + 2 > MAX_STREAM_ID ? 1 : this.#pingId + 2;
  }

  minimalPeers(count: number): void {
    this.log.info({ count }, 'minimal workers connected');
    if (count > 0) this.#drainQueue();
  }

  #workerDead(worker: WorkerState, why: string): void {
    this.#pool.remove(worker.id);
    this.#link.forget(worker.id);
    this.log.warn({ worker: worker.name, id: worker.id, why, streams: worker.streams.size }, 'worker lost');
    for (const stream of [...worker.streams]) {
      worker.streams.delete(stream);
      if (stream.replyStarted) {
        stream.fail(this.#error('ROUTER_ERR_WORKER_LOST', stream));
      } else if ((isIdempotent(stream.method) || stream.neverDelivered) && this.#replayable(stream)) {
        this.#redispatch(stream, 'ROUTER_ERR_WORKER_LOST');
      } else {
        stream.fail(this.#error('ROUTER_ERR_WORKER_LOST', stream));
      }
    }
    this.#drainQueue();
  }

  #replayable(stream: ProxyStream): boolean {
    return !stream.streamingBody || stream.bodySent === 0;
  }

  /**
   * Moves a stream that was never answered to `target`, or wherever #route finds room; after MAX_SENDS sends it fails
   * with `code` instead (what went wrong with the last worker).
   */
  #redispatch(stream: ProxyStream, code: RouterErrorCode, target?: WorkerState | typeof MINIMAL): void {
    const at = stream.worker;
    if (at !== undefined && at !== MINIMAL) this.#pool.get(at)?.streams.delete(stream);
    stream.worker = undefined;
    if (stream.sends >= MAX_SENDS) {
      this.log.warn({ stream: stream.id, sends: stream.sends, code }, 'stream given up: no worker answered it');
      return stream.fail(new RouterError(code, { streamId: stream.id, detail: `sent to a worker ${stream.sends} times, answered by none` }));
    }
    this.log.debug({ stream: stream.id }, 're-dispatching stream');
    if (target === undefined) this.#route(stream);
    else this.#send(stream, target);
  }

  #drainQueue(): void {
    while (this.#queue.length > 0) {
      const stream = this.#queue[0];
      const target = this.#pool.pick(this.#link.minimalPeers, stream.streamingBody);
      if (target === undefined) return;
      this.#queue.shift();
      if (stream.state === StreamState.QUEUED) this.#send(stream, target);
    }
  }

  #startTick(): void {
    if (this.#tick !== undefined || this.#closing) return;
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
    this.#tick.unref();
  }

  #onTick(): void {
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0].deadline <= now) {
      const stream = this.#queue.shift()!;
      const code: RouterErrorCode = this.#pool.anyConnected(this.#link.minimalPeers) ? 'ROUTER_ERR_BUSY' : 'ROUTER_ERR_NO_WORKER';
      stream.fail(this.#error(code, stream));
    }
    // Liveness counts from each worker's oldest unanswered stream: new streams sent to a silent worker must not
    // restart its clock, or a hung worker under steady load would keep its share until its credit ran out.
    const oldestSent = new Map<WorkerState, number>();
    for (const stream of this.#awaiting) {
      if (stream.state !== StreamState.SENT) { this.#awaiting.delete(stream); continue; }
      const worker = stream.worker === MINIMAL ? undefined : this.#pool.get(stream.worker!);
      if (worker !== undefined) {
        const oldest = oldestSent.get(worker);
        if (oldest === undefined || stream.sentAt < oldest) oldestSent.set(worker, stream.sentAt);
      }
      if (stream.deadline > now) continue;
      if (stream.streamingBody && (!stream.bodyComplete || stream.body.length > 0)) continue; // the upload still flows
      stream.fail(this.#error('ROUTER_ERR_WORKER_TIMEOUT', stream));
    }
    for (const [worker, sentAt] of oldestSent) if (this.#pool.get(worker.id) === worker) this.#checkAlive(worker, sentAt, now);
    if (this.#queue.length === 0 && this.#awaiting.size === 0) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
  }

  /** For a worker whose oldest unanswered stream was sent at `sentAt`: PING it when quiet, give up on it for now
   * when it leaves the PING unanswered. */
  #checkAlive(worker: WorkerState, sentAt: number, now: number): void {
    const heard = Math.max(worker.lastSeen, sentAt);
    if (now - heard < PING_AFTER_MS) return;
    // Answered is a flag, not a comparison of times: an echo read within the millisecond of its PING has the same
    // timestamp, and a healthy worker was condemned for it (issue 9).
    if (!worker.pingUnanswered || worker.pingedAt < heard) return this.#ping(worker, now);
    if (now - worker.pingedAt < PING_TIMEOUT_MS) return;
    // Unanswered. Ask again either way: a killed worker whose connection libzmq had not yet let go of when the
    // disconnect probes went out is found by the send failing (EHOSTUNREACH); a stopped one answers when resumed.
    if (!worker.unresponsive) this.#unresponsive(worker, now - heard);
    this.#ping(worker, now);
  }

  #unresponsive(worker: WorkerState, quietMs: number): void {
    worker.unresponsive = true;
    let moved = 0;
    for (const stream of [...worker.streams]) {
      if (stream.state !== StreamState.SENT || !isIdempotent(stream.method) || !this.#replayable(stream)) continue;
      // Only to a worker that can take it now: with nowhere better to go, the stream stays with the one most
      // likely to answer it (a starved machine makes every worker look unresponsive at times).
      const target = this.#pool.pick(this.#link.minimalPeers, stream.streamingBody);
      if (target === undefined) break;
      // The worker may yet run it: CANCEL arrives before anything it could send later for the stream.
      this.#link.send(worker.id, encodeRstStream(stream.id, RstStatus.CANCEL));
      this.#redispatch(stream, 'ROUTER_ERR_WORKER_TIMEOUT', target);
      moved++;
    }
    this.log.warn({ worker: worker.name, id: worker.id, quietMs, moved, kept: worker.streams.size }, 'worker unresponsive');
  }

  #responsiveAgain(worker: WorkerState): void {
    worker.unresponsive = false;
    this.log.info({ worker: worker.name, id: worker.id }, 'worker responsive again');
    this.#drainQueue();
  }

  #error(code: RouterErrorCode, stream: ProxyStream): RouterError {
    return new RouterError(code, { streamId: stream.id });
  }

  #workerName(peer: Peer | undefined): string {
    if (peer === undefined) return '-';
    if (peer === MINIMAL) return 'minimal';
    return this.#pool.get(peer)?.name ?? peer;
  }

  /** Stops taking requests, lets in-flight ones finish for up to `grace` ms, then closes everything. */
  async close(grace = this.opts.gracePeriod): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = this.#front.close();
    if (this.#streams.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, grace);
        this.#onIdle = () => { clearTimeout(timer); resolve(); };
      });
    }
    for (const stream of [...this.#streams.values()]) stream.fail(this.#error('ROUTER_ERR_SHUTTING_DOWN', stream));
    this.#front.closeAll();
    await closed;
    clearInterval(this.#tick);
    this.#tick = undefined;
    this.#link.close();
    this.#withdrawAllowList?.();
  }
}
