// One path to one router: its streams, keyed by stream id (SPEC §4.1), and the frames that arrive
// on it. Extended protocol: one link per control-socket DEALER. Minimal protocol: one link per
// router routing id seen on the worker's ROUTER socket.
import {
  DEFAULT_WINDOW_SIZE, encodePing, encodeRstStream, IdTable, readFrames, RstStatus,
  type DecodeOptions, type Frame, type FrameVisitor, type Outbox, type ProtocolError, type SynStreamFrame,
} from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { parseRequestHead } from './headers.js';
import { Stream } from './stream.js';
import type { LinkHost } from './types.js';

const EMPTY = Buffer.alloc(0);

export class Link implements FrameVisitor {
  readonly host: LinkHost;
  /** Where frames for the router wait to leave, one message per turn; shared by the links of one socket. */
  readonly outbox: Outbox<Link>;
  /** The router's routing id on a ROUTER socket (minimal), or null on a DEALER (extended). */
  readonly to: Buffer | null;
  /** Extended protocol: flow control, cancellation and sessions apply. */
  readonly extended: boolean;
  /** Endpoint or router id, for logs. */
  readonly label: string;
  /** Not a Map: see IdTable (a Map that churns a stream per request made the worker's GC cost ~3 × more). */
  readonly streams = new IdTable<Stream>();
  /** Streams whose response is not finished (hello `active`). */
  active = 0;
  /** Initial send window for response DATA of new streams (`welcome.window`); unlimited in minimal mode. */
  sendWindow: number;
  /** The router process's `welcome.session`, null before the first welcome. */
  session: string | null = null;
  /** The control connection is up (extended). */
  connected = false;
  /** Streams opened by the message being received: their handlers run once all of it is read. */
  #opened: Stream[] = [];
  /** A message is being read: credit granted meanwhile applies from the router's next message. */
  #receiving = false;
  /** Streams that granted request-body credit while the message was read. */
  #granting: Stream[] = [];
  readonly #decode: DecodeOptions;

  constructor(host: LinkHost, outbox: Outbox<Link>, to: Buffer | null, extended: boolean, label: string) {
    this.host = host;
    this.outbox = outbox;
    this.to = to;
    this.extended = extended;
    this.label = label;
    this.sendWindow = extended ? DEFAULT_WINDOW_SIZE : Infinity;
    this.#decode = { headerEncoding: host.adapter.headerEncoding };
  }

  send(frame: Buffer): void {
    this.outbox.push(this, frame);
  }

  /**
   * `stream` sent WINDOW_UPDATE (SPEC §5.7). The router cannot have seen it when it sent the message being read, so
   * the rest of that message is still checked against the window without it; later messages may use it.
   */
  granted(stream: Stream): void {
    if (this.#receiving) this.#granting.push(stream);
    else stream.commitGrant();
  }

  /** Handles one received message; its frames start at part `first`. */
  receive(msg: Buffer[], first: number): void {
    this.#receiving = true;
    for (let i = first; i < msg.length;) i += readFrames(msg[i], this, this.#decode, msg[i + 1]);
    this.#receiving = false;
    if (this.#granting.length > 0) {
      for (const s of this.#granting) s.commitGrant();
      this.#granting.length = 0;
    }
    const opened = this.#opened;
    if (opened.length === 0) return;
    this.#opened = [];
    // Handlers start once the whole first message is in, so a body that came with it is already there.
    for (const s of opened) s.firstMessage = false;
    for (const s of opened) if (!s.closed) this.host.adapter.run(s);
  }

  /** FrameVisitor: one frame of a message being received. */
  frame(frame: Frame): void {
    const stream = this.#onFrame(frame);
    if (stream !== undefined) this.#opened.push(stream);
  }

  /** FrameVisitor: a frame of a message being received that does not decode. */
  badFrame(err: ProtocolError): void {
    const streamId = err.streamId;
    this.host.logger.warn({ router: this.label, err, stream: streamId }, 'bad frame from router');
    if (streamId === 0) return;
    const stream = this.streams.get(streamId);
    if (stream !== undefined) stream.reset(err.rstStatus, new WorkerError('WORKER_ERR_STREAM_RESET', 'malformed frame from the router', { streamId, cause: err }));
    else this.send(encodeRstStream(streamId, err.rstStatus));
  }

  responseDone(): void {
    this.active--;
    this.host.streamDone();
  }

  forget(stream: Stream): void {
    this.streams.delete(stream);
  }

  /** Aborts every stream without telling the router (it is gone, or a new router process took its place). */
  abortAll(reason: Error): void {
    for (const stream of this.streams.values()) stream.abort(reason);
  }

  /** Resets every stream: RST_STREAM with the reason's status, then abort. */
  resetAll(reason: WorkerError): void {
    for (const stream of this.streams.values()) stream.reset(reason.rstStatus, reason);
  }

  #onFrame(frame: Frame): Stream | undefined {
    switch (frame.type) {
      case 'SYN_STREAM':
        return this.#open(frame);
      case 'DATA':
        this.streams.get(frame.streamId)?.onData(frame.data, frame.fin);
        return undefined;
      case 'WINDOW_UPDATE':
        if (frame.streamId !== 0) this.streams.get(frame.streamId)?.onWindowUpdate(frame.delta);
        return undefined;
      case 'RST_STREAM': {
        const stream = this.streams.get(frame.streamId);
        if (stream !== undefined) {
          stream.abort(frame.status === RstStatus.CANCEL
            ? new WorkerError('WORKER_ERR_STREAM_CANCELLED', undefined, { streamId: frame.streamId })
            : new WorkerError('WORKER_ERR_STREAM_RESET', `the router reset the stream with status ${frame.status}`, { streamId: frame.streamId }));
        }
        return undefined;
      }
      case 'CONTROL':
        this.host.onControl(this, frame.payload);
        return undefined;
      case 'PING':
        // Echo the router's PINGs (odd ids: its liveness check, SPEC §5.2); an even id is our own coming back.
        if (frame.id % 2 === 1) this.send(encodePing(frame.id));
        return undefined;
      default:
        // SETTINGS, GOAWAY, unknown types; SYN_REPLY/HEADERS never come from a router.
        this.host.logger.debug({ router: this.label, frame: frame.type }, 'frame ignored');
        return undefined;
    }
  }

  #open(frame: SynStreamFrame): Stream | undefined {
    const id = frame.streamId;
    if (this.streams.has(id)) {
      this.send(encodeRstStream(id, RstStatus.STREAM_IN_USE));
      return undefined;
    }
    if (!this.host.accepting()) {
      // Closing, or the router sent more than maxStreams: it may re-dispatch (SPEC §5.6, §5.8).
      this.send(encodeRstStream(id, RstStatus.REFUSED_STREAM));
      return undefined;
    }
    const stream = new Stream(id, parseRequestHead(frame.headers), this);
    this.streams.add(stream);
    this.active++;
    this.host.streamOpened();
    this.host.adapter.open(stream);
    if (frame.fin) stream.onData(EMPTY, true);
    return stream;
  }
}
