// Types shared between the worker's modules. Public ones are re-exported from index.ts.
import type { ControlPayload, HeaderEncoding } from '@switchboard/protocol';
import type { Logger } from './logger.js';
import type { Link } from './link.js';
import type { Stream } from './stream.js';

/** What a stream reports to the object serving it (the Node-style response or the fetch exchange). */
export interface StreamOwner {
  /** The stream can take more response bytes: res 'drain'. */
  onStreamDrain(): void;
  /** The stream ended abnormally (router cancel, reset, shutdown): stop work, send nothing more. */
  onStreamAbort(reason: Error): void;
  /** The whole response has been queued for the router. */
  onStreamFinish(): void;
}

/** Where a stream's request body goes: the Node-style request (Readable) or a ReadableStream source. */
export interface BodySink {
  pushBody(chunk: Buffer): void;
  endBody(): void;
  /** Body bytes pushed but not yet taken by the handler; the rest may be credited back (SPEC §5.7). */
  readonly bodyBuffered: number;
}

/** A handler style: attaches its objects to a new stream, then runs the handler once the message is read. */
export interface HandlerAdapter {
  /** How header blocks become strings and back: 'utf8' (default), or 'latin1' for byte-exact relays. */
  readonly headerEncoding?: HeaderEncoding;
  open(stream: Stream): void;
  run(stream: Stream): void;
}

/** The worker as its links see it. */
export interface LinkHost {
  readonly logger: Logger;
  readonly adapter: HandlerAdapter;
  /** Receive window for request DATA after the first message, per stream, bytes. */
  readonly recvWindow: number;
  /** False while closing or at the concurrency limit: new streams get RST_STREAM REFUSED_STREAM. */
  accepting(): boolean;
  streamOpened(): void;
  streamDone(): void;
  onControl(link: Link, payload: ControlPayload): void;
}
