// One copy of the handshake strings that repeat from socket to socket. An idle WebSocket keeps its handshake (every
// over-HTTP batch repeats its headers), and each HTTP front makes fresh strings for every request: "Host",
// "Sec-WebSocket-Version", "13", a browser's User-Agent... about a dozen per socket, the same bytes for nearly all.
// Header names are shared, and the values of headers that repeat across clients; never a value unique to one socket
// (the key, a cookie), which would only fill the table.

/** Headers whose values are commonly the same for many clients (lowercase). */
const SHARED_VALUES: ReadonlySet<string> = new Set([
  'host', 'upgrade', 'connection', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol',
  'origin', 'user-agent', 'accept-encoding', 'accept-language', 'cache-control', 'pragma',
]);

/** Strings longer than this are kept as they came: a table of them would cost more than it saves. */
const MAX_LENGTH = 512;
/** Entries before the table starts over: a client sending ever-new names cannot grow it without bound. */
const MAX_ENTRIES = 4096;

export class HandshakeStrings {
  readonly #table = new Map<string, string>();

  /** The copy of `s` already kept, or `s`, kept from now on. */
  intern(s: string): string {
    if (s.length > MAX_LENGTH) return s;
    const kept = this.#table.get(s);
    if (kept !== undefined) return kept;
    if (this.#table.size >= MAX_ENTRIES) this.#table.clear();
    this.#table.set(s, s);
    return s;
  }

  /** `raw` ([name, value, ...]) with its names, and the values of SHARED_VALUES headers, shared. */
  headers(raw: readonly string[]): string[] {
    const out = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i += 2) {
      const name = (out[i] = this.intern(raw[i]));
      out[i + 1] = SHARED_VALUES.has(name.toLowerCase()) ? this.intern(raw[i + 1]) : raw[i + 1];
    }
    return out;
  }
}
