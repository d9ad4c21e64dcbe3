// `switchboard http-origin`: any HTTP/1.1 app as a worker. Worker flags are the example workers' (the SDK checks
// them), origin flags become OriginOptions (createOrigin checks them); this file only reads text. Declaring the
// command loads no runtime: the origin, the SDK and the examples are imported when it runs.
import { Option, type Command } from 'commander';
import { integer } from '@switchboard/router/cli';
import type { ExampleOptions } from '@switchboard/examples';
import { example, workerFlags, workerOptions } from '@switchboard/examples/cli';
import { DEFAULTS } from './options.js';

/** Adds `switchboard http-origin`. */
export function httpOriginCommand(program: Command): void {
  workerFlags(program.command('http-origin').description('a worker relaying every request to a local HTTP/1.1 app (--to)'))
    .requiredOption('--to <url>', 'the backend app, e.g. http://127.0.0.1:3000')
    .option('--name <name>', 'shown in the router\'s logs (default: origin-<pid>)')
    .addOption(new Option('--host-header <which>', 'Host sent to the backend: the client\'s (keep) or the --to host:port (backend)')
      .choices(['keep', 'backend']).default(DEFAULTS.hostHeader))
    .option('--headers-timeout <ms>', 'time for the backend to send its response head (then 504)', integer, DEFAULTS.headersTimeout)
    .option('--body-timeout <ms>', 'longest pause between response body chunks (then the stream is reset; 0: none)', integer, DEFAULTS.bodyTimeout)
    .option('--connect-timeout <ms>', 'time to connect to the backend (then 502)', integer, DEFAULTS.connectTimeout)
    .addHelpText('after', example('switchboard http-origin --to http://127.0.0.1:3000 --connect tcp://127.0.0.1:8000'))
    .action(async (o) => {
      const [{ createOrigin }, { announce }, { createJsonLogger }] = await Promise.all([import('./origin.js'), import('@switchboard/examples'), import('@switchboard/worker-sdk')]);
      const options: ExampleOptions = await workerOptions(o.name ?? `origin-${process.pid}`, o);
      const logger = createJsonLogger({ stream: process.stdout, level: 'info', base: { name: options.name } });
      const worker = createOrigin({
        ...options, logger, to: o.to, hostHeader: o.hostHeader,
        headersTimeout: o.headersTimeout, bodyTimeout: o.bodyTimeout, connectTimeout: o.connectTimeout,
      });
      announce(worker, options, { to: worker.origin.to, hostHeader: worker.origin.hostHeader });
    });
}
