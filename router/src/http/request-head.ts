// Checks on a parsed request head that llhttp leaves to the server, shared by both HTTP fronts so that they refuse
// alike: the head's size and line count, Host (RFC 9112 §3.2), the request target's form (§3.2.1-3.2.4) and
// Transfer-Encoding (§6.1). Pure functions: the fronts turn a HeadRefusal into a status page.

/** Most header lines in a request head. node:http's maxHeadersCount default, but refused (431) instead of dropped:
 * a proxy that silently loses header lines forwards a request its client did not send. */
export const MAX_HEADER_LINES = 2000;

export interface HeadRefusal {
  status: number;
  reason: string;
  detail: string;
}

const TOO_LARGE = 'Request Header Fields Too Large';
// RFC 3986 §3.2.2 host (reg-name, IPv4, or an IP literal in brackets) and an optional port.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;
// RFC 9112 §3.2.2 absolute-form for the schemes a proxy in front of HTTP workers serves: scheme, authority, rest.
const ABSOLUTE = /^https?:\/\/([^/?#]+)([^#]*)$/i;

/**
 * Why this head must be refused, or undefined. `maxHeaderSize` bounds the request line and the header lines as
 * sent, CRLFs included (optional whitespace around values is not seen after parsing, so it is not counted).
 */
export function checkHead(method: string, url: string, httpVersion: string, raw: readonly string[], maxHeaderSize: number): HeadRefusal | undefined {
  if (raw.length > MAX_HEADER_LINES * 2) return { status: 431, reason: TOO_LARGE, detail: `more than ${MAX_HEADER_LINES} header lines` };
  // "GET /x HTTP/1.1\r\n", then "name:value\r\n" per line, then "\r\n".
  let size = method.length + url.length + 14;
  let hosts = 0;
  let host = '';
  let codings: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    size += name.length + raw[i + 1].length + 3;
    if (isName(name, 'host')) {
      hosts++;
      host = raw[i + 1];
    } else if (isName(name, 'transfer-encoding')) {
      codings = codings === undefined ? raw[i + 1] : `${codings}, ${raw[i + 1]}`;
    }
  }
  if (size > maxHeaderSize) return { status: 431, reason: TOO_LARGE, detail: `the request head is larger than ${maxHeaderSize} bytes` };
  if (hosts > 1) return badRequest('more than one Host header');
  if (hosts === 0 && httpVersion !== '1.0') return badRequest('an HTTP/1.1 request without Host');
  if (!HOST.test(host)) return badRequest('an invalid Host header');
  // llhttp de-chunks "gzip, chunked" and forgets the gzip: the one coding the router can pass on is chunked alone.
  if (codings !== undefined && codings.trim().toLowerCase() !== 'chunked') {
    return { status: 501, reason: 'Not Implemented', detail: `Transfer-Encoding ${codings} is not supported` };
  }
  if (url.charCodeAt(0) === 47 /* '/' */) return undefined;
  if (url === '*') return method === 'OPTIONS' ? undefined : badRequest('the asterisk form is for OPTIONS only');
  const absolute = ABSOLUTE.exec(url);
  if (absolute === null || !HOST.test(absolute[1]) || (absolute[2].length > 0 && absolute[2].charCodeAt(0) !== 47 && absolute[2].charCodeAt(0) !== 63)) {
    return badRequest('an unsupported request target form');
  }
  return undefined;
}

/**
 * The origin-form path and the host a checked target names: an absolute-form target (`http://a.example/x`) becomes
 * `/x` on host `a.example`, and the Host header is then ignored (RFC 9112 §3.2.2). Undefined for other forms.
 */
export function absoluteTarget(url: string): { path: string; host: string } | undefined {
  if (url.charCodeAt(0) === 47 || url === '*') return undefined;
  const absolute = ABSOLUTE.exec(url);
  if (absolute === null) return undefined;
  const rest = absolute[2];
  return { host: absolute[1], path: rest.length === 0 ? '/' : rest.charCodeAt(0) === 63 /* '?' */ ? `/${rest}` : rest };
}

/** Whether `name` is `lower` in any case, without allocating a lower-cased copy (this runs for every header line). */
function isName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function badRequest(detail: string): HeadRefusal {
  return { status: 400, reason: 'Bad Request', detail };
}
