// The allocation profile end to end, on both targets: it loads the target and reports bytes per request by site.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { routerMissing } from '../dist/router-target.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runAlloc(args) {
  return new Promise((resolve, reject) => {
    // NODE_OPTIONS cleared: tap's preload hooks would be profiled as ours.
    execFile(process.execPath, ['bench/dist/alloc.js', ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 240_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

for (const target of ['router', 'direct']) {
  t.test(`${target}: bytes per request, in all and by site`, { skip: routerMissing(), timeout: 300_000 }, async (t) => {
    const out = await runAlloc(['--target', target, '--duration', '2', '--connections', '10', '--top', '5']);
    const lines = out.trim().split('\n');
    t.match(lines[0], new RegExp(`^${target}: .* (\\d+) requests`), 'what was loaded, and how many requests');
    t.ok(Number(/ (\d+) requests/.exec(lines[0])[1]) > 0, 'the target answered');
    t.ok(Number(/^allocated (\d+) B per request/.exec(lines[1])?.[1]) > 0, 'a total per request');
    t.equal(lines.length, 2 + 5, 'five sites');
    for (const line of lines.slice(2)) t.match(line, /^\s*\d+ B {2}\S/);
  });
}
