// @switchboard/router: the public surface.
import pino, { type Logger } from 'pino';
import { resolveOptions, type RouterOptions } from './options.js';
import { SwitchboardRouter, type RouterAddress } from './router.js';

export { RouterError, type RouterErrorCode } from './errors.js';
export { DEFAULTS, type RouterOptions } from './options.js';
export type { RouterAddress, SwitchboardRouter };
export { readAllowList, readKeyFile, writeKeyPair, type KeyPair } from './workers/curve.js';

/** Creates and starts a router: binds its worker sockets and listens for HTTP. */
export async function createRouter(options: Partial<RouterOptions> = {}, logger?: Logger): Promise<SwitchboardRouter> {
  const opts = resolveOptions(options);
  const log = logger ?? pino({ level: opts.logLevel, base: { role: 'router' } });
  const router = new SwitchboardRouter(opts, log);
  try {
    await router.start();
  } catch (err) {
    await router.close(0); // what the constructor and start() opened would keep the process alive
    throw err;
  }
  return router;
}
