// How the origin connects to its backend: undici's own connector, plus a guard against a crash in undici 7, the last
// major that runs on Node 20.
//
// When a backend closes its connection (Connection: close, or a body that ends with the connection) while the relay
// holds undici's parser paused for back-pressure, undici 7's socket 'end' listener asserts that the parser is not
// paused (Parser.finish; nodejs/undici#5360, fixed in undici 8 only). An exception from an event listener cannot be
// caught, so it killed the worker. Its 'error' listener does the same on a reset (ECONNRESET). Once the connection has
// ended no more bytes can come, so the pause holds nothing back: listeners that run before undici's resume the parser,
// and undici's own then completes or fails the response as it would have (every byte of it already went to the relay).
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** The part of undici's HTTP/1 parser (lib/dispatcher/client-h1.js) the guard uses. */
interface ParserState {
  paused: boolean;
  /** Non-zero while a response is being read. */
  statusCode: number;
  shouldKeepAlive: boolean;
  resume(): void;
  llhttp: { llhttp_resume(ptr: number): void };
  ptr: number;
}

// The symbol under which undici keeps a socket's parser; undici has no `exports` map, so the module is reachable.
const { kParser } = createRequire(import.meta.url)('undici/lib/core/symbols.js') as { kParser: symbol };

/** Readies a paused parser for finish(), which undici's listener calls next for a response still open on a connection
 * not kept alive (the case that throws). */
function unpauseForFinish(socket: Socket): void {
  const parser = (socket as unknown as Record<symbol, ParserState | null | undefined>)[kParser];
  if (parser?.paused !== true || parser.statusCode === 0 || parser.shouldKeepAlive) return;
  // Runs the parser past the bytes it has: a Content-Length or chunked body completes here (not on a socket already
  // destroyed, as after a reset: resume() then does nothing).
  parser.resume();
  // A body delimited by the close pauses again there; llhttp's finish completes it once llhttp is no longer paused.
  if (parser.paused && parser.statusCode !== 0) {
    parser.llhttp.llhttp_resume(parser.ptr);
    parser.paused = false;
  }
}

function onEnd(this: Socket): void {
  unpauseForFinish(this);
}

/** undici takes a reset as the end of such a response too (its onHttpSocketError). */
function onError(this: Socket, err: NodeJS.ErrnoException): void {
  if (err.code === 'ECONNRESET') unpauseForFinish(this);
}

/** undici's connector with `timeout` (ms) to connect, each socket guarded as above. */
export function backendConnector(timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout });
  return (options, callback) => {
    connect(options, (...args) => {
      args[1]?.prependListener('end', onEnd).prependListener('error', onError);
      callback(...args);
    });
  };
}
