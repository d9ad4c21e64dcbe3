// One client held by GRIP instructions (Pushpin's src/handler/httpsession.cpp): a long poll (`Grip-Hold: response`)
// answered by the first matching publish or by the worker's reply at its timeout, or a stream (`Grip-Hold: stream`)
// whose head and initial body went out at once and to which each published `http-stream` content is appended.
// No worker is involved any more: its stream ended when the instructions were read.
import type { ClientExchange } from '../http/client-exchange.js';
import type { ChannelIndex, Subscriber } from './channel-index.js';
import { passes } from './filters.js';
import type { Instruct } from './instruct.js';
import type { PublishItem } from './publish-item.js';
import { respondWhole, withoutFraming } from './respond.js';

export interface SessionHost {
  readonly index: ChannelIndex;
  /** Response bytes a held client may leave unread before it is cut (--max-client-buffer). */
  readonly maxClientBuffer: number;
  /** The session is over (answered, timed out, closed, cut, or its client left). */
  ended(session: HeldSession): void;
  /** The session's client was cut for leaving `buffered` bytes unread. */
  tooSlow(session: HeldSession, buffered: number): void;
}

// Timer callbacks are module functions given the session: no closure per held client.
function onTimeout(session: HeldSession): void {
  session.timedOut();
}
function onKeepAlive(session: HeldSession): void {
  session.keepAlive();
}

export class HeldSession implements Subscriber {
  #timer: NodeJS.Timeout | undefined;
  #over = false;

  constructor(
    readonly exchange: ClientExchange,
    readonly instruct: Instruct,
    readonly host: SessionHost,
  ) {}

  /** Subscribes, and starts the timeout (response hold) or sends the head and initial body (stream hold). */
  start(): void {
    const instruct = this.instruct;
    for (const channel of instruct.channels) this.host.index.subscribe(channel.name, this);
    if (instruct.hold === 'response') {
      this.#timer = setTimeout(onTimeout, instruct.timeout * 1000, this);
      return;
    }
    const { status, headers, body } = instruct.response;
    this.exchange.writeHead(status, withoutFraming(headers));
    if (body.length > 0) this.#write(body);
    else this.exchange.flushHead(); // the head leaves now, not with the first publish
    if (instruct.keepAlive !== undefined && !this.#over) this.#timer = setInterval(onKeepAlive, instruct.keepAlive.timeout * 1000, this);
  }

  get over(): boolean {
    return this.#over;
  }

  deliver(item: PublishItem, channel: string): void {
    if (this.#over) return;
    const instruct = this.instruct;
    const subscription = instruct.channels.find((c) => c.name === channel);
    if (subscription !== undefined && subscription.filters.length > 0 &&
      !passes(subscription.filters, instruct.meta, item.meta, instruct.channels.map((c) => c.name))) return;
    if (instruct.hold === 'response') {
      const format = item.httpResponse;
      if (format === undefined || format.action !== 'send') return;
      // Published headers replace the timeout response's of the same name; the rest are inherited (as Pushpin does).
      const names = new Set<string>();
      for (let i = 0; i < format.headers.length; i += 2) names.add(format.headers[i]);
      const headers: string[] = [];
      const base = instruct.response.headers;
      for (let i = 0; i < base.length; i += 2) if (!names.has(base[i])) headers.push(base[i], base[i + 1]);
      headers.push(...format.headers);
      this.#finish();
      respondWhole(this.exchange, format.code, headers, format.body);
      return;
    }
    const format = item.httpStream;
    if (format === undefined) return;
    if (format.action === 'close') {
      this.#finish();
      this.exchange.end();
    } else if (format.action === 'send' && format.content.length > 0) {
      this.#write(format.content);
      if (instruct.keepAlive?.mode === 'idle') this.#timer?.refresh();
    }
  }

  /** The response hold's timeout: the worker's reply goes out. */
  timedOut(): void {
    if (this.#over) return;
    this.#finish();
    const { status, headers, body } = this.instruct.response;
    respondWhole(this.exchange, status, headers, body);
  }

  keepAlive(): void {
    if (!this.#over) this.#write(this.instruct.keepAlive!.data);
  }

  /** The client went away. */
  clientGone(): void {
    if (!this.#over) this.#finish();
  }

  /** The client caught up: nothing waits on it here (a slow one is cut instead). */
  drained(): void {}

  /** Ends the session from the router's side (shutdown): the connection is cut. */
  close(): void {
    if (this.#over) return;
    this.#finish();
    this.exchange.destroy();
  }

  #write(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange.write(chunk) || exchange.buffered <= this.host.maxClientBuffer) return;
    // A slow reader is cut rather than buffered for: it must never hold up the others or grow the router.
    const buffered = exchange.buffered;
    this.#finish();
    this.host.tooSlow(this, buffered);
    exchange.destroy();
  }

  #finish(): void {
    this.#over = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const channel of this.instruct.channels) this.host.index.unsubscribe(channel.name, this);
    this.host.ended(this);
  }
}
