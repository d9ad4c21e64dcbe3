// The ZeroMQ publish inputs, as Pushpin has them (handlerengine.cpp inPull_readyRead, inSub_readyRead): a PULL socket
// taking one item per message, and a SUB socket taking [channel, item] and subscribed only to the channels that have
// local subscribers, bound or connected to publishers' PUB sockets (one publisher feeding many routers). Items are
// `J` + JSON (Pushpin's tnetstring form is not read). This file is the realtime layer's only zeromq importer.
import { Pull, Subscriber as SubSocket } from 'zeromq';
import type { Logger } from 'pino';
import type { ChannelWatcher } from './channel-index.js';
import type { PublishSink } from './http-publish.js';
import { PublishError, parseItem, type PublishItem } from './publish-item.js';

export interface ZmqInputOptions {
  maxPublishSize: number;
  publishPullBind?: string;
  publishSubBind?: string;
  publishSubConnect?: string[];
}

/** The item in a `J`-prefixed message, or why not. */
function readItem(bytes: Buffer, channel?: string): PublishItem | string {
  if (bytes[0] !== 0x4a /* J */) return 'not a J (JSON) message';
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.subarray(1).toString('utf8'));
  } catch (err) {
    return `invalid JSON: ${(err as Error).message}`;
  }
  try {
    return parseItem(doc, channel);
  } catch (err) {
    if (err instanceof PublishError) return err.message;
    throw err;
  }
}

export class ZmqInputs implements ChannelWatcher {
  readonly #pull: Pull | undefined;
  readonly #sub: SubSocket | undefined;

  constructor(readonly sink: PublishSink, readonly opts: ZmqInputOptions, readonly log: Logger) {
    // A message past the bound closes its sender's connection (libzmq's ZMQ_MAXMSGSIZE): the publish size limit.
    const common = { linger: 0, maxMessageSize: opts.maxPublishSize };
    if (opts.publishPullBind !== undefined) this.#pull = new Pull(common);
    if (opts.publishSubBind !== undefined || (opts.publishSubConnect?.length ?? 0) > 0) this.#sub = new SubSocket(common);
  }

  async start(): Promise<void> {
    if (this.#pull !== undefined) {
      await this.#pull.bind(this.opts.publishPullBind!);
      void this.#read(this.#pull, 'zmq-pull');
    }
    const sub = this.#sub;
    if (sub !== undefined) {
      if (this.opts.publishSubBind !== undefined) await sub.bind(this.opts.publishSubBind);
      for (const endpoint of this.opts.publishSubConnect ?? []) sub.connect(endpoint);
      void this.#read(sub, 'zmq-sub');
    }
  }

  /** Where the PULL socket listens (its bound endpoint, the port resolved). */
  get pullEndpoint(): string | undefined {
    return this.#pull?.lastEndpoint ?? undefined;
  }

  get subEndpoint(): string | undefined {
    return this.opts.publishSubBind !== undefined ? this.#sub?.lastEndpoint ?? undefined : undefined;
  }

  added(channel: string): void {
    this.#sub?.subscribe(channel);
  }

  removed(channel: string): void {
    this.#sub?.unsubscribe(channel);
  }

  async #read(sock: Pull | SubSocket, source: string): Promise<void> {
    const sub = source === 'zmq-sub';
    try {
      for await (const msg of sock) {
        if (msg.length !== (sub ? 2 : 1)) {
          this.log.warn({ source, parts: msg.length }, `publish input: message with parts != ${sub ? 2 : 1}, skipped`);
          continue;
        }
        const item = sub ? readItem(msg[1], msg[0].toString('utf8')) : readItem(msg[0]);
        if (typeof item === 'string') this.log.warn({ source, reason: item }, 'publish input: malformed item, skipped');
        else this.sink([item], source);
      }
    } catch (err) {
      if (!sock.closed) this.log.error({ source, err: (err as Error).message }, 'publish input stopped');
    }
  }

  close(): void {
    this.#pull?.close();
    this.#sub?.close();
  }
}
