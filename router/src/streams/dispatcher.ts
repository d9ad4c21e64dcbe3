// Where each stream goes (SPEC §4, §5.6): to a worker of its route's pool (§5.2) with free credit, or into that pool's
// wait queue; again to another worker of the pool when its own lost it and ProxyStream.mayResend() allows. Owns the
// queues, the streams waiting for a reply, and the tick that times both out.
import { IdTable, RstStatus, encodeDataParts, encodeRstStream, type DrainListener } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { RouterError, type RouterErrorCode } from '../errors.js';
import type { RouterOptions } from '../options.js';
import { MINIMAL, type Peer, type WorkerLink } from '../workers/worker-link.js';
import type { WorkerPool, WorkerState } from '../workers/worker-pool.js';
import type { RoutePool } from '../workers/route-table.js';
import { Resend, StreamState, type ProxyStream } from './proxy-stream.js';
import type { StreamTable } from './stream-table.js';
import type { Upload } from './upload.js';

// The tick runs only while something waits on a clock (queued or unanswered streams): an idle router never wakes.
const TICK_MS = 100;

/** What the dispatcher's tick asks of worker liveness (liveness.ts). */
export interface WorkerCheck {
  /** `worker`'s oldest unanswered stream was sent at `sentAt`. */
  check(worker: WorkerState, sentAt: number, now: number): void;
}

/** The link as the dispatcher uses it. */
export type DispatchLink = Pick<WorkerLink, 'send' | 'seal' | 'minimalPeers' | 'congested' | 'waitDrain'>;

export type DispatchOptions = Pick<RouterOptions, 'maxQueue' | 'queueTimeout' | 'noWorkerTimeout' | 'workerTimeout'>;

export class Dispatcher implements DrainListener {
  readonly #table: StreamTable;
  readonly #pool: WorkerPool;
  readonly #link: DispatchLink;
  readonly #upload: Upload;
  readonly #liveness: WorkerCheck;
  readonly #opts: DispatchOptions;
  readonly #log: Logger;
  /** Streams waiting for a worker, one queue per route pool, oldest first; only non-empty queues are kept. */
  readonly #queues = new Map<RoutePool<WorkerState>, ProxyStream[]>();
  /** Streams in all queues: --max-queue bounds it. */
  #queued = 0;
  /** Streams sent and not answered yet (state SENT), for worker timeouts and liveness; pruned lazily by the tick. */
  readonly #awaiting = new IdTable<ProxyStream>();
  #tick: NodeJS.Timeout | undefined;
  #closing = false;
  /** A socket's outbox is congested: new streams wait until it drains (logged once per episode). */
  #congested = false;

  constructor(table: StreamTable, pool: WorkerPool, link: DispatchLink, upload: Upload, liveness: WorkerCheck, opts: DispatchOptions, log: Logger) {
    this.#table = table;
    this.#pool = pool;
    this.#link = link;
    this.#upload = upload;
    this.#liveness = liveness;
    this.#opts = opts;
    this.#log = log;
  }

  /** The stream's request is ready to go (body complete, or streaming). */
  dispatch(stream: ProxyStream): void {
    if (this.#closing) return stream.fail(error('ROUTER_ERR_SHUTTING_DOWN', stream));
    this.#table.add(stream);
    const target = stream.dispatched();
    stream.pool = target === undefined ? this.#pool.routes.unrouted : this.#pool.routes.match(target.host, target.path);
    this.#route(stream);
  }

  /** Sends a stream to a worker with free credit, or queues it. `avoid`: see #pick. */
  #route(stream: ProxyStream, avoid?: Peer): void {
    const target = this.#pick(stream, avoid);
    if (target !== undefined) return this.#send(stream, target);
    if (this.#queued >= this.#opts.maxQueue) return stream.fail(error('ROUTER_ERR_QUEUE_FULL', stream));
    this.#log.debug({ stream: stream.id }, 'stream queued');
    const pool = stream.pool!;
    stream.queued(Date.now() + (this.#pool.anyConnected(this.#link.minimalPeers, pool) ? this.#opts.queueTimeout : this.#opts.noWorkerTimeout));
    let queue = this.#queues.get(pool);
    if (queue === undefined) this.#queues.set(pool, (queue = []));
    queue.push(stream);
    this.#queued++;
    this.#startTick();
  }

  /**
   * Where the stream may go now, if anywhere: a worker with credit whose socket is not congested. A stream sent again
   * goes to another worker than the one it left (`avoid`) when one has room, as nginx's next upstream does: a worker
   * that refused it would likely refuse it again, and the sends it may have are few (ProxyStream.mayResend).
   */
  #pick(stream: ProxyStream, avoid?: Peer): WorkerState | typeof MINIMAL | undefined {
    const { minimalPeers } = this.#link;
    const streamMode = stream.exchange.streamMode === true;
    const target =
      (avoid === undefined ? undefined : this.#pool.pick(minimalPeers, stream.streamingBody, stream.pool, streamMode, avoid)) ??
      this.#pool.pick(minimalPeers, stream.streamingBody, stream.pool, streamMode);
    if (target === undefined) return undefined;
    const to = target === MINIMAL ? MINIMAL : target.id;
    if (!this.#link.congested(to)) return target;
    if (!this.#congested) this.#log.warn({ worker: target === MINIMAL ? 'minimal' : target.name }, 'worker socket congested: new streams wait');
    this.#congested = true;
    this.#link.waitDrain(to, this);
    return undefined;
  }

  /** DrainListener: the congested socket drained. */
  onOutboxDrain(): void {
    this.#congested = false;
    this.drainQueue();
  }

  /** Sends a stream's first message: SYN_STREAM plus the body read so far (SPEC §3.1). */
  #send(stream: ProxyStream, target: WorkerState | typeof MINIMAL): void {
    const to = target === MINIMAL ? MINIMAL : target.id;
    const now = Date.now();
    stream.sent(to, now, now + this.#opts.workerTimeout);
    this.#log.debug({ stream: stream.id, worker: target === MINIMAL ? 'minimal' : target.name }, 'stream sent');
    this.#awaiting.add(stream);
    this.#startTick();
    this.#link.send(to, stream.synStream, stream);
    const chunks = stream.replay;
    const finished = stream.bodyComplete && !stream.streamingBody;
    for (let i = 0; i < chunks.length; i++) {
      const parts = encodeDataParts(stream.id, chunks[i], finished && i === chunks.length - 1);
      for (let j = 0; j < parts.length; j++) this.#link.send(to, parts[j], stream);
    }
    if (target === MINIMAL) return;
    target.streams.add(stream);
    if (!stream.streamingBody) return;
    // The first message's body is outside the worker's window and the upload's DATA inside it; the worker tells them
    // apart by message (SPEC §5.7), and the client's buffered body may be sent at once below: end the message here.
    this.#link.seal(to);
    this.#upload.start(stream, target.window);
  }

  /**
   * Moves a stream its worker no longer has to `target`, or wherever #route finds room, if ProxyStream.mayResend()
   * allows; otherwise fails it with `code` (what went wrong with the last worker).
   */
  resend(stream: ProxyStream, code: RouterErrorCode, target?: WorkerState | typeof MINIMAL): void {
    const at = stream.worker;
    if (at !== undefined && at !== MINIMAL) this.#pool.get(at)?.streams.delete(stream);
    stream.withdrawn();
    const verdict = stream.mayResend();
    if (verdict === Resend.NO) return stream.fail(error(code, stream));
    if (verdict === Resend.GIVE_UP) {
      this.#log.warn({ stream: stream.id, sends: stream.sends, code }, 'stream given up: no worker answered it');
      return stream.fail(new RouterError(code, { streamId: stream.id, detail: `sent to a worker ${stream.sends} times, answered by none` }));
    }
    this.#log.debug({ stream: stream.id }, 're-dispatching stream');
    if (target === undefined) this.#route(stream, at);
    else this.#send(stream, target);
  }

  /** A worker's connection is gone (it is out of the pool): its streams move or fail. */
  workerLost(worker: WorkerState): void {
    for (const stream of worker.streams.values()) {
      worker.streams.delete(stream);
      this.resend(stream, 'ROUTER_ERR_WORKER_LOST');
    }
    this.drainQueue();
  }

  /**
   * A worker went quiet with a PING unanswered: moves its unanswered streams that may go elsewhere, but only to a
   * worker that can take them now: with nowhere better to go, a stream stays with the one most likely to answer it
   * (a starved machine makes every worker look unresponsive at times). Returns how many moved.
   */
  moveFrom(worker: WorkerState): number {
    let moved = 0;
    for (const stream of worker.streams.values()) {
      // One that has begun its reply is answering: it stays, whatever its worker's liveness says.
      if (!stream.awaitingReply || stream.mayResend() === Resend.NO) continue;
      const target = this.#pick(stream);
      if (target === undefined) break;
      // The worker may yet run it: CANCEL arrives before anything it could send later for the stream.
      this.#link.send(worker.id, encodeRstStream(stream.id, RstStatus.CANCEL));
      this.resend(stream, 'ROUTER_ERR_WORKER_TIMEOUT', target);
      moved++;
    }
    return moved;
  }

  /** Frames for `peer` could not be sent: these streams' requests never reached it. */
  undelivered(peer: Peer, streams: ProxyStream[]): void {
    if (peer === MINIMAL) {
      // No minimal worker took them: they were never sent, whatever their method, so they do not count as a send.
      this.#log.debug({ streams: streams.length }, 'no minimal worker to take the streams: routing them again');
      for (const stream of streams) {
        if (!stream.heldBy(MINIMAL)) continue;
        stream.undelivered(false);
        this.resend(stream, 'ROUTER_ERR_NO_WORKER');
      }
      return;
    }
    const worker = this.#pool.get(peer);
    if (worker === undefined) return;
    for (const stream of streams) if (worker.streams.get(stream.id) === stream) stream.undelivered(true);
  }

  /** The stream is over: forget it, free its worker's credit (RST_STREAM `rst` unless 0), take it off the queue. */
  release(stream: ProxyStream, rst: number): void {
    this.#table.delete(stream);
    this.#awaiting.delete(stream);
    const at = stream.worker;
    if (at !== undefined && at !== MINIMAL) {
      const worker = this.#pool.get(at);
      if (worker !== undefined && worker.streams.delete(stream)) {
        if (rst !== 0) this.#link.send(at, encodeRstStream(stream.id, rst));
        this.drainQueue();
      }
    }
    const queue = this.#queued > 0 && stream.pool !== undefined ? this.#queues.get(stream.pool) : undefined;
    if (queue !== undefined) {
      const i = queue.indexOf(stream);
      if (i !== -1) this.#dequeue(stream.pool!, queue, i);
    }
  }

  /** Streams waiting in the queues for a worker with credit. */
  get queued(): number {
    return this.#queued;
  }

  /** Sends queued streams while their pools' workers have credit. */
  drainQueue(): void {
    if (this.#queued === 0) return;
    for (const [pool, queue] of this.#queues) {
      while (queue.length > 0) {
        const stream = queue[0];
        const target = this.#pick(stream);
        if (target === undefined) break;
        this.#dequeue(pool, queue, 0);
        if (stream.state === StreamState.QUEUED) this.#send(stream, target);
      }
    }
  }

  #dequeue(pool: RoutePool<WorkerState>, queue: ProxyStream[], i: number): void {
    if (i === 0) queue.shift();
    else queue.splice(i, 1);
    this.#queued--;
    if (queue.length === 0) this.#queues.delete(pool);
  }

  #startTick(): void {
    if (this.#tick !== undefined || this.#closing) return;
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
    this.#tick.unref();
  }

  #onTick(): void {
    const now = Date.now();
    for (const [pool, queue] of this.#queues) {
      while (queue.length > 0 && queue[0].deadline <= now) {
        const stream = queue[0];
        this.#dequeue(pool, queue, 0);
        const code: RouterErrorCode = this.#pool.anyConnected(this.#link.minimalPeers, pool) ? 'ROUTER_ERR_BUSY' : 'ROUTER_ERR_NO_WORKER';
        stream.fail(error(code, stream));
      }
    }
    // Liveness counts from each worker's oldest unanswered stream: new streams sent to a silent worker must not
    // restart its clock, or a hung worker under steady load would keep its share until its credit ran out.
    const oldestSent = new Map<WorkerState, number>();
    for (const stream of this.#awaiting.values()) {
      if (!stream.awaitingReply) { this.#awaiting.delete(stream); continue; }
      const worker = stream.worker === MINIMAL ? undefined : this.#pool.get(stream.worker!);
      if (worker !== undefined) {
        const oldest = oldestSent.get(worker);
        if (oldest === undefined || stream.sentAt < oldest) oldestSent.set(worker, stream.sentAt);
      }
      if (stream.deadline > now || stream.uploading) continue;
      stream.fail(error('ROUTER_ERR_WORKER_TIMEOUT', stream));
    }
    for (const [worker, sentAt] of oldestSent) if (this.#pool.get(worker.id) === worker) this.#liveness.check(worker, sentAt, now);
    if (this.#queued === 0 && this.#awaiting.size === 0) this.#stopTick();
  }

  #stopTick(): void {
    clearInterval(this.#tick);
    this.#tick = undefined;
  }

  /** Refuses new streams from now on; those in flight go on (the router's grace period). */
  refuseNew(): void {
    this.#closing = true;
  }

  /** Fails the streams still live (the grace period is over) and stops the clock. */
  close(): void {
    this.#closing = true;
    for (const stream of this.#table.values()) stream.fail(error('ROUTER_ERR_SHUTTING_DOWN', stream));
    this.#stopTick();
  }
}

function error(code: RouterErrorCode, stream: ProxyStream): RouterError {
  return new RouterError(code, { streamId: stream.id });
}
