// The opening handshake (RFC 6455 §4.2): which requests are WebSocket upgrades, the checks on them that both HTTP
// fronts make alike, and the 101's accept key. Pure functions, as request-head.ts.
import { createHash } from 'node:crypto';

/** A checked upgrade request: what a session keeps of its handshake. */
export interface UpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** Flat [name, value, ...] as received. */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  /** Sec-WebSocket-Key. */
  readonly key: string;
}

/** Why an upgrade request is refused: a status page, and the headers it carries. */
export interface UpgradeRefusal {
  status: number;
  reason: string;
  detail: string;
  headers?: string[];
}

// §4.1: the key is 16 random bytes, base64: 22 characters and "==".
const KEY = /^[+/0-9A-Za-z]{21}[AQgw]==$/;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function tokens(value: string): string[] {
  return value.split(',').map((t) => t.trim().toLowerCase());
}

/** Whether a request llhttp flagged as an upgrade asks for WebSocket (`Upgrade: websocket`, §4.2.1 item 3). Other
 * upgrades (h2c, say) are served as plain requests, Upgrade dropped as hop-by-hop. */
export function isWebSocketUpgrade(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 7 && raw[i].toLowerCase() === 'upgrade' && tokens(raw[i + 1]).includes('websocket')) return true;
  }
  return false;
}

/** The request's Host header ('' when none): with its URL, what routes the socket (route-table.ts). */
export function upgradeHost(request: UpgradeRequest): string {
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') return raw[i + 1];
  return '';
}

/**
 * Checks a WebSocket upgrade request (§4.2.1): GET, HTTP/1.1, one valid Sec-WebSocket-Key, Sec-WebSocket-Version 13.
 * Returns the key, or why the request is refused (400; a wrong version says which one is spoken, §4.4).
 */
export function checkUpgrade(method: string, httpVersion: string, raw: readonly string[]): string | UpgradeRefusal {
  if (method !== 'GET') return bad(`a WebSocket handshake must be GET, not ${method}`);
  if (httpVersion !== '1.1') return bad(`a WebSocket handshake must be HTTP/1.1, not HTTP/${httpVersion}`);
  let key: string | undefined;
  let keys = 0;
  let version: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'sec-websocket-key') { key = raw[i + 1].trim(); keys++; }
    else if (name === 'sec-websocket-version') version = version === undefined ? raw[i + 1].trim() : `${version}, ${raw[i + 1].trim()}`;
  }
  if (version !== '13') {
    const refusal = bad(version === undefined ? 'Sec-WebSocket-Version is missing' : `Sec-WebSocket-Version ${version} is not supported`);
    refusal.headers = ['sec-websocket-version', '13'];
    return refusal;
  }
  if (keys !== 1 || key === undefined || !KEY.test(key)) return bad(keys > 1 ? 'more than one Sec-WebSocket-Key' : 'Sec-WebSocket-Key is missing or not 16 bytes of base64');
  return key;
}

/** Sec-WebSocket-Accept for a key (§4.2.2 item 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

function bad(detail: string): UpgradeRefusal {
  return { status: 400, reason: 'Bad Request', detail };
}
