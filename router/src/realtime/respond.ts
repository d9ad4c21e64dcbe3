// Writing a whole response the router composed (a GRIP timeout response, a published one) to a client exchange.
import type { ClientExchange } from '../http/client-exchange.js';

// Framing is the router's: the body is whole, so it gets its own Content-Length; a stream gets none (chunked).
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer', 'upgrade']);

/** `headers` without the fields that frame the body or belong to one hop. */
export function withoutFraming(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!FRAMING.has(headers[i])) out.push(headers[i], headers[i + 1]);
  return out;
}

/** `headers` framed for a whole body of `length` bytes. */
export function wholeHead(headers: readonly string[], length: number): string[] {
  const head = withoutFraming(headers);
  head.push('content-length', String(length));
  return head;
}

/** Sends status (with `reason`, else the standard phrase), a head framed by wholeHead() and the body, then ends the
 * exchange. */
export function sendWhole(exchange: ClientExchange, status: number, head: string[], body: Buffer, reason?: string): void {
  exchange.writeHead(status, head, reason);
  if (body.length > 0) exchange.write(body);
  exchange.end();
}

/** Sends status (with `reason`, else the standard phrase), headers and the whole body, then ends the exchange. */
export function respondWhole(exchange: ClientExchange, status: number, headers: readonly string[], body: Buffer, reason?: string): void {
  sendWhole(exchange, status, wholeHead(headers, body.length), body, reason);
}
