// How the origin connects to its backend: undici's own connector, plus a guard against a crash in undici 7, the last
// major that runs on Node 20.
//
// When a backend closes its connection (Connection: close, or a body that ends with the connection) while the relay
// holds undici's parser paused for back-pressure, undici 7's socket 'end' listener asserts that the parser is not
// paused (Parser.finish; nodejs/undici#5360, fixed in undici 8 only). An exception from an event listener cannot be
// caught, so it killed the worker. Once the connection has ended no more bytes can come, so the pause holds nothing
// back: a listener that runs before undici's resumes the parser, and undici's own listener then completes the response
// as it would have (every byte of it already went to the relay).
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

function resumeEndedParser(this: Socket): void {
  const parser = (this as unknown as Record<symbol, ParserState | null | undefined>)[kParser];
  // The case that throws: undici's listener calls finish() for a response still open on a connection not kept alive.
  if (parser?.paused !== true || parser.statusCode === 0 || parser.shouldKeepAlive) return;
  // Runs the parser past the bytes it has: a Content-Length or chunked body completes here.
  parser.resume();
  // A body delimited by the close pauses again there; llhttp's finish, which undici's listener calls next, completes
  // it once llhttp is no longer paused.
  if (parser.paused && parser.statusCode !== 0) {
    parser.llhttp.llhttp_resume(parser.ptr);
    parser.paused = false;
  }
}

/** undici's connector with `timeout` (ms) to connect, each socket guarded as above. */
export function backendConnector(timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout });
  return (options, callback) => {
    connect(options, (...args) => {
      args[1]?.prependListener('end', resumeEndedParser);
      callback(...args);
    });
  };
}
