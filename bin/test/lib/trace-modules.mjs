// `node --import ./trace-modules.mjs …`: logs each workspace module the process loads, one JSON line on stderr
// ({"msg":"module loaded","module":"router/dist/router.js"}), so a test can see what a command pulled in.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function load(url, context, next) {
  const m = /\\/((?:protocol|router|worker-sdk|examples|origin|conformance)\\/dist\\/.+)$/.exec(url);
  if (m) process.stderr.write(JSON.stringify({ msg: 'module loaded', module: m[1] }) + '\\n');
  return next(url, context);
}`));
