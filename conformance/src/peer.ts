// The conformance checker's side of the wire: it binds what a router binds (SPEC §2), plays the
// router towards one worker, and records every frame the worker sends, per stream, with the time
// and the message it came in, so checks can ask "did the body arrive in several messages?".
// The worker SDK's tests play the router with it too: they await frames as events (next), order
// events with a PING round trip (barrier) and send raw frames (send).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import {
  encodeControl, encodeData, encodePing, encodeRstStream, encodeSynStream, encodeWindowUpdate, isPublish, isWorkerHello, readFrames, ReceiveWindow,
  RstStatus, SendWindow, type ControlPayload, type Frame, type HeaderPairs, type WorkerHello,
} from '@switchboard/protocol';

/** Which socket the worker speaks on: the request endpoint (minimal) or the control endpoint (extended). */
export type WorkerProtocol = 'minimal' | 'extended';

/** One frame the worker sent, with when, in which received message (a counter) and on which socket it came. */
export interface Received { frame: Frame; at: number; message: number; control: boolean }

/** Everything the worker sent for one stream, and what is wrong with it (SPEC §4.3 reply rules). */
export interface StreamRecord {
  id: number;
  frames: Received[];
  status?: number;
  headers?: HeaderPairs;
  body: Buffer[];
  fin: boolean;
  /** RST_STREAM status the worker sent for it. */
  reset?: number;
  /** The trailers, from a HEADERS frame: the body is over. */
  trailers?: HeaderPairs;
  /** When the checker reset the stream; it grants no more window for it after that. */
  cancelledAt?: number;
  problems: string[];
  /** Extended protocol: the response window the worker sends DATA within (SPEC §5.5). */
  window: ReceiveWindow;
  /** Bytes granted back with WINDOW_UPDATE, in all. */
  granted: number;
  /** Extended protocol, a request left open: the credit the worker granted for more body (SPEC §5.7). */
  credit?: SendWindow;
}

/** How the peer answers a worker's `publish` (SPEC §5.10): accepted, refused with a router's code, or not at all (null). */
export type PublishAnswer = { ok: true } | { ok: false; code: string; reason: string } | null;

/** A router's answer: accepted when well formed, else refused as ROUTER_ERR_BAD_PUBLISH. */
export function acceptPublish(payload: ControlPayload): PublishAnswer {
  return isPublish(payload) ? { ok: true } : { ok: false, code: 'ROUTER_ERR_BAD_PUBLISH', reason: 'malformed publish message' };
}

export interface PeerOptions {
  bind: string;
  control: string;
  /** Receive window given to the worker in `welcome` (SPEC §5.5). */
  window: number;
  heartbeatMs: number;
  /** Session id sent in `welcome` (default: random). */
  session?: string;
  /** Answer the worker's first hello with `welcome` (default true); without it, call welcome() (the SDK's tests do). */
  autoWelcome?: boolean;
}

/** DATA payload per frame the checker sends, bytes: small, so a body takes several frames. */
const DATA_FRAME_SIZE = 16384;

// SPEC §4.3: three digits 200-599, optionally a space and a reason phrase.
const STATUS = /^([2-5]\d\d)( .*)?$/;
const CONTENT_LENGTH = /^\d+$/;

export class ConformancePeer extends EventEmitter {
  readonly options: PeerOptions;
  readonly session: string;
  protocol?: WorkerProtocol;
  /** The worker's name, from its `Hello from <name>` reply. */
  name?: string;
  /** Extended protocol: the worker's routing id, its hellos (with arrival times), PING replies, GOAWAY. */
  workerId?: Buffer;
  hellos: Array<{ hello: WorkerHello; at: number }> = [];
  /** Arrival times of every message on the control socket. */
  controlMessages: number[] = [];
  pongs = new Set<number>();
  goaway?: { at: number; lastStreamId: number };
  /** Every frame the worker sent, in order. */
  readonly log: Received[] = [];
  /** Frames that broke the codec or the reply rules outside any one stream. */
  problems: string[] = [];
  /** Connections on the request endpoint and on the control endpoint. */
  connections = { request: 0, control: 0 };
  readonly streams = new Map<number, StreamRecord>();
  /** Extended protocol: every `publish` the worker sent, as received. */
  readonly publishes: ControlPayload[] = [];
  /** Decides the answer to each `publish`; a test may swap it (refuse, stay silent). */
  answerPublish: (payload: ControlPayload) => PublishAnswer = acceptPublish;
  #dealer: Dealer;
  #router: Router;
  // Not an Outbox: a check sends exactly the messages it builds (their boundaries are what it checks), one at a time.
  #queue: Promise<void> = Promise.resolve();
  #messages = 0;
  #nextId = 1;
  #pings = 0;
  #closed = false;
  /** The routing id of the control message being read: a `published` answer goes back to it. */
  #controlFrom: Buffer | null = null;
  /** Log entries next() handed out already. */
  readonly #claimed = new WeakSet<Received>();
  /** Streams whose grant goes out with the message being read: committed once it is read (SPEC §5.5). */
  readonly #granting = new Set<StreamRecord>();

  constructor(options: PeerOptions) {
    super();
    this.options = options;
    this.session = options.session ?? randomBytes(8).toString('hex');
    // probeRouter: the worker first gets [router-id, ""] (SPEC §2), as from a real router.
    this.#dealer = new Dealer({ probeRouter: true, linger: 0, sendTimeout: 2000 });
    this.#router = new Router({ mandatory: true, linger: 0, sendTimeout: 2000 });
    for (const [socket, key] of [[this.#dealer, 'request'], [this.#router, 'control']] as const) {
      socket.events.on('accept', () => this.#connection(key, +1));
      socket.events.on('disconnect', () => this.#connection(key, -1));
    }
  }

  /** Binds both endpoints; resolves with them as bound (a `*` port resolved to the real one). */
  async bind(): Promise<{ bind: string; control: string }> {
    await this.#dealer.bind(this.options.bind);
    await this.#router.bind(this.options.control);
    void this.#receive(this.#dealer, false);
    void this.#receive(this.#router, true);
    return { bind: this.#dealer.lastEndpoint ?? this.options.bind, control: this.#router.lastEndpoint ?? this.options.control };
  }

  close(): void {
    this.#closed = true;
    this.#dealer.close();
    this.#router.close();
  }

  #connection(key: 'request' | 'control', delta: number): void {
    this.connections[key] += delta;
    this.emit('change');
  }

  /**
   * Resolves with the protocol once a worker connected to the request endpoint (minimal) or said
   * hello on the control endpoint (extended; SPEC §2: such a worker does not use the request endpoint).
   */
  async waitForWorker(ms: number): Promise<WorkerProtocol | undefined> {
    try {
      await this.until(() => this.protocol !== undefined || this.connections.request > 0, ms);
    } catch {
      return undefined;
    }
    this.protocol ??= 'minimal';
    return this.protocol;
  }

  /** The worker had connected and its connection is gone. */
  get gone(): boolean {
    return this.protocol !== undefined && this.connections[this.protocol === 'extended' ? 'control' : 'request'] <= 0;
  }

  nextStreamId(): number {
    const id = this.#nextId;
    this.#nextId += 2;
    return id;
  }

  /** Opens a stream with one message: SYN_STREAM plus DATA frames (SPEC §4.2). */
  async request(req: RequestSpec): Promise<StreamRecord> {
    const [record] = await this.requestBatch([req]);
    return record;
  }

  /**
   * Opens several streams with one message, all their frames in one part unless `split` (SPEC §3.1); `before` are
   * frames that go ahead of them.
   */
  async requestBatch(reqs: RequestSpec[], before: Buffer[] = []): Promise<StreamRecord[]> {
    const records: StreamRecord[] = [];
    const frames: Buffer[] = [...before];
    for (const req of reqs) {
      const id = req.streamId ?? this.nextStreamId();
      records.push(this.openRecord(id, req.credit));
      const headers = [':method', req.method ?? 'GET', ':path', req.path, ':version', 'HTTP/1.1', ':host', 'conformance.test', ':scheme', 'http',
        'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'conformance.test', ...(req.headers ?? [])];
      const body = req.body ?? Buffer.alloc(0);
      const end = !req.open && !req.emptyDataFrame;
      frames.push(encodeSynStream(id, headers, end && body.length === 0));
      const size = req.frameSize ?? DATA_FRAME_SIZE;
      for (let off = 0; off < body.length; off += size) {
        frames.push(encodeData(id, body.subarray(off, off + size), end && off + size >= body.length));
      }
      if (req.emptyDataFrame) frames.push(encodeData(id, Buffer.alloc(0), true));
    }
    await this.send(reqs.some((r) => r.split) ? frames : [Buffer.concat(frames)]);
    return records;
  }

  /** Sends one message of these parts to the worker, on whichever socket it speaks. */
  send(parts: Buffer[]): Promise<void> {
    const message = this.protocol === 'extended' ? [this.workerId!, ...parts] : parts;
    const socket = this.protocol === 'extended' ? this.#router : this.#dealer;
    const sent = this.#queue.then(() => socket.send(message));
    this.#queue = sent.catch(() => undefined); // zeromq.js takes one send at a time
    return sent;
  }

  /**
   * Extended protocol: request body DATA beyond the first message of a stream opened with `credit`, within what the
   * worker granted (SPEC §5.7), `frameSize` bytes a frame at most.
   */
  async sendBody(record: StreamRecord, body: Buffer, ms: number, frameSize = DATA_FRAME_SIZE): Promise<void> {
    const credit = record.credit!;
    for (let off = 0; off < body.length;) {
      await this.until(() => credit.available > 0, ms, `the worker granted no credit for request DATA on stream ${record.id}`);
      const n = credit.take(Math.min(frameSize, body.length - off));
      await this.send([encodeData(record.id, body.subarray(off, off + n), off + n >= body.length)]);
      off += n;
    }
  }

  ping(id: number): Promise<void> {
    return this.send([encodePing(id)]);
  }

  /** Extended protocol: welcomes the worker with this peer's session, window and heartbeat (SPEC §5.2). */
  welcome(): Promise<void> {
    const { window, heartbeatMs } = this.options;
    return this.send([encodeControl({ t: 'welcome', session: this.session, window, heartbeatMs })]);
  }

  /**
   * Extended protocol: a PING round trip. Resolves with the log position of its echo: the worker handles messages in
   * order, so everything it sent before it read the PING is logged before that position.
   */
  async barrier(ms = 15000): Promise<number> {
    const id = 2 * ++this.#pings + 1; // odd: a router's PING, which the worker echoes
    await this.ping(id);
    const echo = await this.next((e) => e.frame.type === 'PING' && e.frame.id === id, ms);
    return this.log.indexOf(echo) + 1;
  }

  /**
   * Resolves with the first logged frame, past or future, that `match` accepts and no earlier next() took; rejects
   * after `ms`. The worker leaving does not end the wait: its last messages may still be on their way.
   */
  async next(match: (e: Received) => boolean, ms = 15000): Promise<Received> {
    let hit: Received | undefined;
    const take = (): boolean => {
      hit = this.log.find((e) => !this.#claimed.has(e) && match(e));
      if (hit) this.#claimed.add(hit);
      return hit !== undefined;
    };
    await this.until(take, ms, 'no matching frame', true);
    return hit!;
  }

  /** next() for a frame of this type (and stream). */
  nextFrame(type: Frame['type'], streamId?: number, ms?: number): Promise<Received> {
    return this.next((e) => e.frame.type === type && (streamId === undefined || (e.frame as { streamId?: number }).streamId === streamId), ms);
  }

  /** Starts recording what the worker sends for a stream the checker opens; `credit`: the worker's request window. */
  openRecord(id: number, credit?: number): StreamRecord {
    const record: StreamRecord = {
      id, frames: [], body: [], fin: false, problems: [], window: new ReceiveWindow(this.options.window), granted: 0,
      credit: credit === undefined ? undefined : new SendWindow(credit),
    };
    this.streams.set(id, record);
    return record;
  }

  /** The checker resets a stream (RST_STREAM CANCEL): from now on the worker should send nothing for it. */
  cancel(id: number): Promise<void> {
    this.streams.get(id)!.cancelledAt = performance.now();
    return this.send([encodeRstStream(id, RstStatus.CANCEL)]);
  }

  /**
   * Waits, event-driven, for a condition on what has been received; rejects after `ms`, or as soon
   * as the worker's connection is gone unless `whileGone` (its last messages may still be queued
   * behind the disconnect event, as a GOAWAY is).
   */
  until(test: () => boolean, ms: number, what = 'timed out', whileGone = false): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) {
          done();
          resolve();
        } else if (this.gone && !whileGone) {
          done();
          reject(new Error('the worker disconnected'));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what} (after ${ms} ms)`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
      check();
    });
  }

  async #receive(socket: Dealer | Router, control: boolean): Promise<void> {
    try {
      for await (const message of socket) {
        const at = performance.now();
        const seq = ++this.#messages;
        const parts = control ? message.slice(1) : message;
        if (control) {
          this.#controlFrom = message[0];
          this.controlMessages.push(at);
        }
        for (let i = 0; i < parts.length;) i += this.#frames(parts[i], parts[i + 1], at, seq, control);
        // Grants made while this message was read count for the worker's later messages, not for the rest of it.
        for (const record of this.#granting) record.window.commitGrant();
        this.#granting.clear();
        this.emit('change');
      }
    } catch (err) {
      if (!this.#closed) this.problems.push(`receive failed: ${(err as Error).message}`);
    }
  }

  #fromControl(id: Buffer): void {
    if (!this.workerId) this.workerId = id;
    else if (!id.equals(this.workerId)) this.problems.push('a second worker spoke on the control endpoint: run the checker against one worker');
    this.protocol ??= 'extended';
  }

  /** Reads one part, and `next` too when it is the payload of a DATA frame split after its header; returns the parts read. */
  #frames(part: Buffer, next: Buffer | undefined, at: number, message: number, control: boolean): number {
    // A bad frame costs itself alone (SPEC §3.1): the worker's other frames in the part are still judged.
    return readFrames(part, {
      frame: (frame) => this.#frame(frame, at, message, control),
      badFrame: (err) => void this.problems.push(`worker sent a malformed frame: ${err.message}`),
    }, undefined, next);
  }

  #frame(frame: Frame, at: number, message: number, control: boolean): void {
    // A publish alone does not make its sender the worker under test: a publisher may never say hello (SPEC §5.10).
    const publish = frame.type === 'CONTROL' && frame.payload.t === 'publish';
    if (control && !publish) this.#fromControl(this.#controlFrom!);
    this.log.push({ frame, at, message, control });
    switch (frame.type) {
      case 'CONTROL': {
        if (!control) return this.#problem('a CONTROL frame on the request endpoint');
        if (publish) return this.#publish(frame.payload);
        if (frame.payload.t !== 'hello') return;
        if (!isWorkerHello(frame.payload)) return this.#problem(`an invalid hello: ${JSON.stringify(frame.payload)}`);
        if (this.hellos.length === 0 && this.options.autoWelcome !== false) void this.welcome().catch(() => undefined);
        this.hellos.push({ hello: frame.payload, at });
        return;
      }
      case 'PING':
        if (control) this.pongs.add(frame.id);
        return;
      case 'GOAWAY':
        this.goaway = { at, lastStreamId: frame.lastStreamId };
        return;
      case 'WINDOW_UPDATE':
        this.streams.get(frame.streamId)?.credit?.update(frame.delta);
        return;
      case 'SETTINGS':
      case 'UNKNOWN':
        return;
      case 'SYN_STREAM':
        return this.#problem(`the worker opened stream ${frame.streamId}: workers never open streams (SPEC §4.1)`);
    }
    const record = this.streams.get(frame.streamId);
    // Resetting a stream one does not know is allowed (SPDY §2.6.3 even suggests INVALID_STREAM).
    if (!record && frame.type === 'RST_STREAM') return;
    if (!record) return this.#problem(`${frame.type} for stream ${frame.streamId}, which the checker never opened`);
    record.frames.push({ frame, at, message, control });
    const bad = (why: string): void => {
      record.problems.push(why);
    };
    if (record.fin || record.reset !== undefined) return bad(`${frame.type} after the stream ended`);
    switch (frame.type) {
      case 'RST_STREAM':
        record.reset = frame.status;
        return;
      case 'SYN_REPLY': {
        if (record.headers) return bad('a second SYN_REPLY');
        record.headers = frame.headers;
        const status = STATUS.exec(header(frame.headers, ':status') ?? '');
        if (!status) bad(`:status missing or invalid: ${JSON.stringify(header(frame.headers, ':status'))} (SPEC §4.3: 200-599, then optionally a space and a reason)`);
        else record.status = Number(status[1]);
        const lengths = headerValues(frame.headers, 'content-length');
        if (lengths.length > 1 || (lengths.length === 1 && !CONTENT_LENGTH.test(lengths[0]))) {
          bad(`content-length ${JSON.stringify(lengths.join('\0'))} is not one decimal number (SPEC §4.3)`);
        }
        record.fin = frame.fin;
        return;
      }
      case 'DATA':
        if (!record.headers) return bad('DATA before SYN_REPLY');
        if (record.trailers) return bad('DATA after HEADERS (trailers end the body, SPEC §4.3)');
        record.body.push(Buffer.from(frame.data));
        record.fin = frame.fin;
        if (control) this.#account(record, frame.data.length);
        return;
      case 'HEADERS':
        if (!record.headers) return bad('HEADERS before SYN_REPLY');
        record.trailers = frame.headers;
        record.fin = frame.fin;
    }
  }

  // SPEC §5.5: the worker may send `window` bytes, plus whatever we granted; we grant as we "consume" (at once).
  #account(record: StreamRecord, bytes: number): void {
    const { window } = record;
    if (!window.receive(bytes)) {
      record.problems.push(`sent ${window.received} DATA bytes with ${window.received + window.available} of window (SPEC §5.5)`);
    }
    if (record.fin || record.cancelledAt !== undefined) return;
    window.consume(bytes);
    const delta = window.pendingGrant();
    if (delta === 0) return;
    record.granted += delta;
    this.#granting.add(record);
    void this.send([encodeWindowUpdate(record.id, delta)]).catch(() => undefined);
  }

  #publish(payload: ControlPayload): void {
    this.publishes.push(payload);
    const answer = this.answerPublish(payload);
    if (answer === null) return;
    const message = [this.#controlFrom!, encodeControl({ t: 'published', ref: payload.ref, ...answer })];
    const sent = this.#queue.then(() => this.#router.send(message));
    this.#queue = sent.catch(() => undefined);
  }

  #problem(why: string): void {
    this.problems.push(why);
  }
}

export interface RequestSpec {
  path: string;
  method?: string;
  headers?: HeaderPairs;
  body?: Buffer;
  streamId?: number;
  /** One frame per part instead of all frames in one part. */
  split?: boolean;
  /** DATA frame payload size (default 16 KiB). */
  frameSize?: number;
  /** The worker's window for this request's body (its hello's): more body can follow with sendBody(). */
  credit?: number;
  /** End the request with an empty DATA frame carrying FIN. */
  emptyDataFrame?: boolean;
  /** Leave the request open (no FIN): more body follows with sendBody(). */
  open?: boolean;
}

/** The first value of a header, or undefined. */
export function header(headers: HeaderPairs, name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/** All values of a header, in order. */
export function headerValues(headers: HeaderPairs, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1]);
  return out;
}
