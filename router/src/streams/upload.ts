// Streamed request bodies (SPEC §5.7): a body past --max-body-size goes to an extended worker after the stream's first
// message, as DATA under the request window the worker granted (its hello's `window`, then each WINDOW_UPDATE). The
// client is paused while the window is spent, and resumed when credit comes.
import { encodeData, encodeDataParts, type DataSink } from '@switchboard/protocol';
import type { FrameSender } from '../workers/worker-link.js';
import type { ProxyStream } from './proxy-stream.js';

const EMPTY = Buffer.alloc(0);

export class Upload implements DataSink {
  readonly #link: FrameSender;
  readonly #workerTimeout: number;
  /** The stream whose DATA sendData() writes: set before each window call, so one sink serves every stream. */
  #stream: ProxyStream | undefined;

  constructor(link: FrameSender, workerTimeout: number) {
    this.#link = link;
    this.#workerTimeout = workerTimeout;
  }

  /** The stream's first message went to an extended worker whose request window is `window`: the body flows now. */
  start(stream: ProxyStream, window: number): void {
    stream.startUpload(window);
    if (stream.bodyComplete) this.end(stream);
    else stream.exchange.resumeBody();
  }

  /** More body from the client: sent as far as credit allows, the rest queued. False when the client must pause. */
  chunk(stream: ProxyStream, chunk: Buffer): boolean {
    const credit = stream.upload!;
    if (chunk.length > 0) {
      this.#stream = stream;
      const sent = credit.send(chunk, false, this);
      if (sent < chunk.length) {
        credit.queue(chunk.subarray(sent)); // waits for WINDOW_UPDATE
        return false;
      }
    }
    return credit.available > 0;
  }

  /** The client's body is complete: FIN once every queued byte went. */
  end(stream: ProxyStream): void {
    if (stream.upload!.queuedBytes > 0) return; // still waiting for credit; credit() ends it
    this.#link.send(stream.worker!, encodeData(stream.id, EMPTY, true), stream);
    // The worker timeout runs from the end of the request: a handler may well read the whole body first.
    stream.requestSent(Date.now() + this.#workerTimeout);
  }

  /** WINDOW_UPDATE from the stream's worker: queued bytes go, then the FIN or more from the client. */
  credit(stream: ProxyStream, delta: number): void {
    const credit = stream.upload!;
    credit.update(delta);
    this.#stream = stream;
    if (!credit.flush(false, this)) return;
    if (stream.bodyComplete) this.end(stream);
    else if (credit.available > 0) stream.exchange.resumeBody();
  }

  /** DataSink: one DATA frame's worth of the current stream's body (the window splits it at DATA_SPLIT_SIZE). */
  sendData(data: Uint8Array, fin: boolean): void {
    const stream = this.#stream!;
    stream.uploaded(data.length);
    const parts = encodeDataParts(stream.id, data, fin);
    for (let i = 0; i < parts.length; i++) this.#link.send(stream.worker!, parts[i], stream);
  }
}
