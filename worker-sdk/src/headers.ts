// Conversions between SPDY header pairs (SPEC §3.3, §4.2, §4.3) and the shapes handlers see.
import type { HeaderPairs } from '@switchboard/protocol';

/** What the SYN_STREAM's pseudo-headers say, plus the request's own headers. */
export interface RequestHead {
  method: string;
  /** `:path`, the request target as received. */
  path: string;
  /** `:version`, e.g. `HTTP/1.1`. */
  version: string;
  /** `:host`, the client's Host header ('' when it sent none). */
  host: string;
  /** `:scheme`: `http` or `https`. */
  scheme: string;
  /** The other headers as flat [name, value, ...] pairs, lower-case names, `host` first. */
  raw: string[];
}

export function parseRequestHead(pairs: HeaderPairs): RequestHead {
  const head: RequestHead = { method: 'GET', path: '/', version: 'HTTP/1.1', host: '', scheme: 'http', raw: [] };
  const raw = head.raw;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (name.charCodeAt(0) === 0x3a /* ':' */) {
      switch (name) {
        case ':method': head.method = value; break;
        case ':path': head.path = value; break;
        case ':version': head.version = value; break;
        case ':host': head.host = value; raw.unshift('host', value); break;
        case ':scheme': head.scheme = value; break;
        default: break; // unknown pseudo-headers are not the handler's business
      }
    } else {
      raw.push(name, value); // the codec already split NUL-joined values into repeated pairs
    }
  }
  return head;
}
