// One client held by GRIP instructions (Pushpin's src/handler/httpsession.cpp): a long poll (`Grip-Hold: response`)
// answered by the first matching publish or by the worker's reply at its timeout, or a stream (`Grip-Hold: stream`)
// whose head and initial body went out at once and to which each published `http-stream` content is appended.
// No worker is involved while it holds: its stream ended when the instructions were read. Recovery, as Pushpin's:
// a long poll whose `prev-id` is stale, that gets an item not following its `prev-id`, or a `hint`, is sent to a
// worker again with `Grip-Last` (the new reply answers the client); a stream in those cases, or idle past its
// `Grip-Link rel=next` timeout, GETs the next link, whose reply continues it.
import type { ClientExchange } from '../http/client-exchange.js';
import { requestUrl, type KeptRequest } from '../streams/re-request.js';
import type { ChannelIndex, Subscriber } from './channel-index.js';
import { passes } from './filters.js';
import type { Expiring, HoldTimers } from './hold-timers.js';
import type { GripChannel, Instruct } from './instruct.js';
import type { LastIds } from './last-ids.js';
import { LinkFetch, type LinkReader } from './link-fetch.js';
import type { PublishItem } from './publish-item.js';
import type { PublishedHeads } from './published-head.js';
import { respondWhole, sendWhole, withoutFraming } from './respond.js';
import type { Updatable } from './update-limiter.js';

/** Pushpin's PUBLISH_QUEUE_MAX: stream items kept while a next link is fetched. */
export const PUBLISH_QUEUE_MAX = 100;
/** Pushpin's RETRY_MAX, RETRY_TIMEOUT and RETRY_RAND_MAX: a failed next-link fetch is tried again 5 times, after
 * 1 s, 2 s, 4 s ... plus up to 1 s at random. */
export const LINK_RETRY_MAX = 5;
const LINK_RETRY_MS = 1000;
const LINK_RETRY_RAND_MS = 1000;

export interface SessionHost {
  readonly index: ChannelIndex;
  /** Each channel's last published id: a hold's prev-id is checked against it. */
  readonly lastIds: LastIds;
  /** Builds (and shares across a fan-out) the head of a published response. */
  readonly heads: PublishedHeads;
  /** Where a long poll's timeout waits (one timer per distinct timeout, not one per client). */
  readonly holdTimers: HoldTimers;
  /** Response bytes a held client may leave unread before it is cut (--max-client-buffer). */
  readonly maxClientBuffer: number;
  /** The session is over (answered, timed out, closed, cut, re-requested, or its client left). */
  ended(session: HeldSession): void;
  /** The session's client was cut for leaving `buffered` bytes unread. */
  tooSlow(session: HeldSession, buffered: number): void;
  /** Sends the client's request to a worker again with `extra` header pairs: the reply answers the client. */
  again(exchange: ClientExchange, request: KeptRequest, extra: string[]): void;
  /** Sends `fetch` (a request for `url` with `extra` header pairs) to a worker. */
  fetch(fetch: LinkFetch, url: URL, extra: string[]): void;
  /** A recovery step worth a debug line. */
  recovering(session: HeldSession, what: string, detail?: string): void;
}

// Timer callbacks are module functions given the session: no closure per held client.
function onKeepAlive(session: HeldSession): void {
  session.keepAlive();
}
function onLinkTimeout(session: HeldSession): void {
  session.update('next link timeout');
}

/** A session following next links (Grip-Link rel=next): made when the first reply has one. Most held clients have
 * none: these six fields would cost each of them 48 B. */
class LinkState {
  /** Where the next link points (resolved against the last URL fetched), undefined once there is none. */
  next: URL | undefined;
  /** A stream's next-link timer (Grip-Link rel=next; timeout=S), and a failed fetch's retry timer. */
  timer: NodeJS.Timeout | undefined;
  /** The next-link fetch in flight, items published meanwhile, and failed tries of this link so far. */
  fetch: LinkFetch | undefined;
  queue: PublishItem[] | undefined;
  retries = 0;
  /** Channels that carried content since the next-link timer last started: all of them restart it (Pushpin). */
  active: Set<string> | undefined;

  constructor(next: URL) {
    this.next = next;
  }
}

export class HeldSession implements Subscriber, LinkReader, Updatable, Expiring {
  #instruct: Instruct;
  /** A stream's keep-alive interval (a long poll's timeout is in host.holdTimers). */
  #timer: NodeJS.Timeout | undefined;
  #over = false;
  /** Undefined unless the first reply had a next link (and the request was kept to resolve it against). */
  #link: LinkState | undefined;

  /** `request`: the client's request, to be sent again (undefined when it cannot be: its body was streamed). */
  constructor(
    readonly exchange: ClientExchange,
    instruct: Instruct,
    readonly host: SessionHost,
    readonly request: KeptRequest | undefined,
  ) {
    this.#instruct = instruct;
  }

  get instruct(): Instruct {
    return this.#instruct;
  }

  get over(): boolean {
    return this.#over;
  }

  /** Subscribes, and starts the timeout (response hold) or sends the head and initial body (stream hold). A stale
   * prev-id (the channel's last id is another) re-requests at once instead, as Pushpin does. A reply without a hold
   * but with a next link (Pushpin's NoHold with a link) sends its head and body as a stream, then fetches the link:
   * its replies continue the stream (holding it, or paging on) until one has no link. */
  start(): void {
    const instruct = this.#instruct;
    if (instruct.nextLink !== undefined && this.request !== undefined) this.#link = new LinkState(new URL(instruct.nextLink.url, requestUrl(this.request)));
    if (instruct.hold === 'response') {
      if (this.#stale()) return this.#again('stale prev-id');
      this.#subscribe(instruct.channels);
      this.host.holdTimers.start(this, instruct.timeout * 1000);
      // Else the front's parser (native, most of an idle connection's memory) stays until its next sweep, seconds on.
      this.exchange.answerLater?.();
      return;
    }
    // A large initial body went out as it came (proxy-stream.ts): then head and body are out already.
    if (!this.exchange.headersSent) {
      const { status, headers, body, reason } = instruct.response;
      this.exchange.writeHead(status, withoutFraming(headers), reason);
      if (body.length > 0) this.#write(body);
      else this.exchange.flushHead(); // the head leaves now, not with the first publish
      if (this.#over) return;
    }
    if (instruct.hold === undefined) return this.#followOrEnd();
    if (this.#link?.next === undefined) {
      const tracked = instruct.channels.find((c) => c.prevId !== undefined);
      if (tracked !== undefined) return this.#error(`channel '${tracked.name}' specifies prev-id, but no next link found`);
    }
    this.#subscribe(instruct.channels);
    this.#keepAlive();
    if (this.#stale()) return this.update('stale prev-id');
    this.#startLinkTimer();
  }

  deliver(item: PublishItem, channel: string): void {
    if (this.#over) return;
    const queue = this.#link?.queue;
    if (queue !== undefined) {
      // A next link is being fetched: items wait for its instructions (Pushpin's publish queue).
      if (item.httpStream !== undefined && queue.length < PUBLISH_QUEUE_MAX) queue.push(item);
      return;
    }
    const instruct = this.#instruct;
    const subscription = instruct.channels.find((c) => c.name === channel);
    if (subscription === undefined) return;
    const format = instruct.hold === 'response' ? item.httpResponse : item.httpStream;
    if (format === undefined) return;
    if (subscription.prevId !== undefined) {
      if (subscription.prevId !== item.prevId) {
        this.host.lastIds.delete(channel);
        return instruct.hold === 'response' ? this.#again('prev-id mismatch', `got ${item.prevId}, expected ${subscription.prevId}`) : this.update('prev-id mismatch');
      }
      subscription.prevId = item.id;
    }
    if (subscription.filters.length > 0 &&
      !passes(subscription.filters, instruct.meta, item.meta, instruct.channels.map((c) => c.name))) return;
    if (format.action === 'hint') {
      return instruct.hold === 'response' ? this.#again('hint') : this.update('hint');
    }
    if (instruct.hold === 'response') {
      if (item.httpResponse === undefined || item.httpResponse.action !== 'send') return;
      const published = item.httpResponse;
      const head = this.host.heads.head(published, instruct.response);
      this.#finish();
      sendWhole(this.exchange, published.code, head, published.body, published.reason);
      return;
    }
    const stream = item.httpStream!;
    if (stream.action === 'close') {
      this.#finish();
      this.exchange.end();
    } else if (stream.action === 'send' && stream.content.length > 0) {
      this.#write(stream.content);
      if (instruct.keepAlive?.mode === 'idle') this.#timer?.refresh();
      this.#activity(channel);
    }
  }

  /** The response hold's timeout: the worker's reply goes out. */
  timedOut(): void {
    if (this.#over) return;
    this.#finish();
    const { status, headers, body, reason } = this.#instruct.response;
    respondWhole(this.exchange, status, headers, body, reason);
  }

  keepAlive(): void {
    if (!this.#over && this.#link?.fetch === undefined) this.#write(this.#instruct.keepAlive!.data);
  }

  /** The client went away. */
  clientGone(): void {
    if (this.#over) return;
    this.#finish();
    this.#gone();
  }

  /** The client caught up: nothing waits on it here (a slow one is cut instead). */
  drained(): void {}

  /** Ends the session from the router's side (shutdown): the connection is cut. */
  close(): void {
    if (this.#over) return;
    this.#finish();
    this.exchange.destroy();
  }

  /** Pushpin's update(): a long poll goes to a worker again (when its request could be kept), a stream fetches its
   * next link (when it has one). */
  refresh(why: string): void {
    if (this.#over) return;
    if (this.#instruct.hold !== 'response') return this.update(why);
    if (this.request !== undefined) this.#again(why);
  }

  // ---- a stream's next link (Grip-Link rel=next) -----------------------------------------------------

  /** Fetches the next link now (a gap, a hint, the link's timeout); without one there is nothing to update from. */
  update(why: string): void {
    const link = this.#link;
    if (this.#over || link === undefined || link.fetch !== undefined || link.next === undefined) return;
    clearTimeout(link.timer);
    link.timer = undefined;
    link.queue ??= [];
    this.host.recovering(this, 'fetching next link', `${why}: ${link.next.href}`);
    link.fetch = new LinkFetch('GET', link.next.href, this);
    this.host.fetch(link.fetch, link.next, this.#gripLast());
  }

  linkData(fetch: LinkFetch, chunk: Buffer): void {
    const link = this.#link;
    if (link === undefined || fetch !== link.fetch || this.#over) return;
    link.retries = -1; // data went out: this link cannot be tried again
    this.#write(chunk);
  }

  linkInstructed(fetch: LinkFetch, instruct: Instruct): void {
    const link = this.#link;
    if (link === undefined || fetch !== link.fetch || this.#over) return;
    if (instruct.hold === 'response') return this.#error('Next link returned non-stream hold.');
    if (instruct.response.body.length > 0) this.linkData(fetch, instruct.response.body);
    if (this.#over) return;
    link.fetch = undefined;
    link.retries = 0;
    const current = link.next!;
    link.next = instruct.nextLink === undefined ? undefined : new URL(instruct.nextLink.url, current);
    if (instruct.hold === undefined) return this.#followOrEnd();
    this.#adopt(instruct);
  }

  linkEnd(fetch: LinkFetch): void {
    const link = this.#link;
    if (link === undefined || fetch !== link.fetch || this.#over) return;
    link.fetch = undefined;
    link.retries = 0;
    link.next = undefined; // a reply without instructions has no link
    this.#followOrEnd();
  }

  linkFailed(fetch: LinkFetch, why: string): void {
    const link = this.#link;
    if (link === undefined || fetch !== link.fetch || this.#over) return;
    link.fetch = undefined;
    if (link.retries < 0 || link.retries >= LINK_RETRY_MAX) return this.#error(`Failed to retrieve next link (${why}).`);
    const delay = LINK_RETRY_MS * 2 ** link.retries + Math.floor(Math.random() * LINK_RETRY_RAND_MS);
    link.retries++;
    this.host.recovering(this, 'next link failed, trying again', `${why}; in ${delay} ms`);
    link.timer = setTimeout(retryLink, delay, this);
  }

  /** The failed fetch's retry timer: the same link again (items published meanwhile still wait). */
  retryLink(): void {
    this.#link!.timer = undefined;
    this.update('retry');
  }

  /** A reply without a hold: its link, if any, is fetched at once (Pushpin pages through them); none ends the stream. */
  #followOrEnd(): void {
    const link = this.#link;
    if (link !== undefined) {
      link.queue = undefined;
      if (link.next !== undefined) return this.update('next page');
    }
    this.#finish();
    this.exchange.end();
  }

  /** The next link's reply holds the stream again: its channels, prev-ids, keep-alive and links replace ours. */
  #adopt(instruct: Instruct): void {
    const before = this.#instruct.channels;
    const names = new Set(instruct.channels.map((c) => c.name));
    for (const c of before) if (!names.has(c.name)) this.host.index.unsubscribe(c.name, this);
    const had = new Set(before.map((c) => c.name));
    this.#instruct = instruct;
    this.#subscribe(instruct.channels.filter((c) => !had.has(c.name)));
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#keepAlive();
    const link = this.#link!; // a next link's reply: the session follows links
    if (link.next === undefined) {
      const tracked = instruct.channels.find((c) => c.prevId !== undefined);
      if (tracked !== undefined) return this.#error(`channel '${tracked.name}' specifies prev-id, but no next link found`);
    }
    // Items published during the fetch: those not following the new prev-ids are dropped, the rest delivered.
    const queue = link.queue ?? [];
    link.queue = undefined;
    let i = 0;
    for (; i < queue.length; i++) {
      const item = queue[i];
      const channel = instruct.channels.find((c) => c.name === item.channel);
      if (channel !== undefined && (channel.prevId === undefined || channel.prevId === item.prevId)) break;
    }
    for (; i < queue.length && !this.#over && link.fetch === undefined; i++) this.deliver(queue[i], queue[i].channel);
    if (!this.#over && link.fetch === undefined) this.#startLinkTimer();
  }

  // ---- the pieces -----------------------------------------------------------------------------------

  /** Whether a channel's prev-id is not the last id this router published on it (that entry is then dropped, so
   * the re-requested hold is taken as it comes, as Pushpin does). */
  #stale(): boolean {
    let stale = false;
    for (const c of this.#instruct.channels) {
      if (c.prevId === undefined) continue;
      const last = this.host.lastIds.get(c.name);
      if (last !== undefined && last !== c.prevId) {
        this.host.lastIds.delete(c.name);
        stale = true;
      }
    }
    return stale;
  }

  /** `Grip-Last` pairs: each channel with a prev-id, as Pushpin sends them on retries and next-link requests. */
  #gripLast(): string[] {
    const out: string[] = [];
    for (const c of this.#instruct.channels) if (c.prevId !== undefined) out.push('grip-last', `${c.name}; last-id=${c.prevId}`);
    return out;
  }

  /** A long poll is over here: its request goes to a worker again, with Grip-Last, and that reply answers. */
  #again(why: string, detail?: string): void {
    const extra = this.#gripLast();
    this.#finish();
    if (this.request === undefined) return this.#respondError();
    this.host.recovering(this, `request sent again (${why})`, detail);
    this.host.again(this.exchange, this.request, extra);
  }

  #subscribe(channels: readonly GripChannel[]): void {
    for (const channel of channels) this.host.index.subscribe(channel.name, this);
  }

  #keepAlive(): void {
    const keepAlive = this.#instruct.keepAlive;
    if (keepAlive !== undefined && !this.#over) this.#timer = setInterval(onKeepAlive, keepAlive.timeout * 1000, this);
  }

  #startLinkTimer(): void {
    const link = this.#instruct.nextLink;
    const state = this.#link;
    if (state === undefined) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    state.active = undefined;
    if (state.next !== undefined && link !== undefined && link.timeout >= 0) state.timer = setTimeout(onLinkTimeout, link.timeout * 1000, this);
  }

  /** Content went out on `channel`: once every channel had some, the next-link timer starts over (Pushpin). */
  #activity(channel: string): void {
    const link = this.#link;
    if (link?.timer === undefined || link.fetch !== undefined) return;
    (link.active ??= new Set()).add(channel);
    if (link.active.size >= this.#instruct.channels.length) this.#startLinkTimer();
  }

  /** Pushpin's doError: a long poll gets a 502, a stream ends. */
  #error(message: string): void {
    this.host.recovering(this, 'held client ended on an error', message);
    this.#finish();
    if (this.#instruct.hold === 'response' || !this.exchange.headersSent) return this.#respondError();
    this.exchange.end();
  }

  #respondError(): void {
    respondWhole(this.exchange, 502, ['content-type', 'text/plain'], Buffer.from('Error while proxying to origin.\n'));
  }

  /** The client left: a `Grip-Link rel=gone` is POSTed, its reply unread (Pushpin). */
  #gone(): void {
    const gone = this.#instruct.goneLink;
    if (gone === undefined || this.request === undefined) return;
    const url = new URL(gone, this.#link?.next ?? requestUrl(this.request));
    this.host.fetch(new LinkFetch('POST', url.href, undefined), url, []);
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
    if (this.#instruct.hold === 'response') this.host.holdTimers.cancel(this, this.#instruct.timeout * 1000);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const link = this.#link;
    if (link !== undefined) {
      clearTimeout(link.timer);
      link.timer = undefined;
      link.queue = undefined;
      link.fetch?.abandon();
      link.fetch = undefined;
    }
    for (const channel of this.#instruct.channels) this.host.index.unsubscribe(channel.name, this);
    this.host.ended(this);
  }
}

function retryLink(session: HeldSession): void {
  session.retryLink();
}
