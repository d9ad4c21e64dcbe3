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

/** Sends status (with `reason`, else the standard phrase), headers and the whole body, then ends the exchange. */
export function respondWhole(exchange: ClientExchange, status: number, headers: readonly string[], body: Buffer, reason?: string): void {
  const head = withoutFraming(headers);
  head.push('content-length', String(body.length));
  exchange.writeHead(status, head, reason);
  if (body.length > 0) exchange.write(body);
  exchange.end();
}
