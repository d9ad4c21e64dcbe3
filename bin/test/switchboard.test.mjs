// The `switchboard` program as users run it: the commands each package brings, their help, and flags handed to the
// libraries, which check them.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CLI, spawnLogged } from '../../router/test/lib/harness.mjs';

/** Runs `switchboard ...args` to its end; resolves with its exit code and its output lines (stdout then stderr). */
async function run(t, args) {
  const proc = spawnLogged(t, process.execPath, [CLI, ...args], { name: `switchboard ${args[0]}` });
  const { code } = await proc.exited;
  return { code, text: proc.lines.map((e) => e.msg).join('\n') };
}

/** The entries of a help text's Options section, each joined onto one line. */
function optionEntries(help) {
  const section = help.split('\nOptions:\n')[1].split('\n\n')[0];
  return section.split(/\n(?=  -)/).map((entry) => entry.replace(/\s+/g, ' ').trim());
}

const COMMANDS = ['router', 'hello', 'stream', 'http-origin', 'counter', 'chat', 'demo', 'keygen', 'conformance'];

t.test('the program has the same commands as before the packages split them', async (t) => {
  t.setTimeout(60_000);
  const { code, text } = await run(t, ['--help']);
  t.equal(code, 0);
  const listed = [...text.split('\nCommands:\n')[1].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
  t.same(listed, [...COMMANDS, 'help']);
});

t.test('--help of every command shows a default for each option that takes a value', async (t) => {
  t.setTimeout(120_000);
  for (const command of COMMANDS) {
    const { code, text } = await run(t, [command, '--help']);
    t.equal(code, 0, `${command} --help`);
    // Flags without a value (--minimal, --help) are off unless given; --bind is required by conformance, --to by
    // http-origin.
    const required = { conformance: '--bind ', 'http-origin': '--to ' }[command];
    const valued = optionEntries(text).filter((entry) => /^--\S+ </.test(entry) && !(required && entry.startsWith(required)));
    for (const entry of valued) t.match(entry, /default: /, `${command} ${entry.split(' ')[0]}`);
  }
});

t.test('router flags reach the library unchecked: its one options check answers', async (t) => {
  t.setTimeout(60_000);
  const zero = await run(t, ['router', '--listen', '127.0.0.1:0', '--max-connections', '0']);
  t.equal(zero.code, 1);
  t.match(zero.text, /^switchboard: invalid router option: maxConnections must be an integer in 1\.\./m);
  const level = await run(t, ['router', '--listen', '127.0.0.1:0', '--log-level', 'verbose']);
  t.equal(level.code, 1);
  t.match(level.text, /^switchboard: invalid router option: logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/m);
});

t.test('worker flags reach the SDK: --connect repeats (replacing its default), --concurrency is checked by the SDK', async (t) => {
  t.setTimeout(60_000);
  const worker = spawnLogged(t, process.execPath, [CLI, 'hello', 'w1', '--connect', 'tcp://127.0.0.1:1', '--connect', 'tcp://127.0.0.1:3'], { name: 'hello' });
  const started = await worker.waitFor((e) => e.msg === 'worker started', 60_000, '"worker started"');
  t.same(started.connect, ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:3']);
  const bad = await run(t, ['hello', 'w2', '--concurrency', '0']);
  t.equal(bad.code, 1);
  t.match(bad.text, /^switchboard: .*concurrency must be an integer in 1\.\./m);
});

t.test('http-origin: worker flags reach the SDK, origin flags reach createOrigin, and each checks its own', async (t) => {
  t.setTimeout(60_000);
  const worker = spawnLogged(t, process.execPath, [CLI, 'http-origin', '--to', 'http://127.0.0.1:1', '--connect', 'tcp://127.0.0.1:1', '--connect', 'tcp://127.0.0.1:3', '--host-header', 'backend'], { name: 'http-origin' });
  const started = await worker.waitFor((e) => e.msg === 'worker started', 60_000, '"worker started"');
  t.same(started.connect, ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:3']);
  t.equal(started.to, 'http://127.0.0.1:1');
  t.equal(started.hostHeader, 'backend');
  t.match(started.worker, /^origin-\d+$/, 'named after its pid by default');
  const to = await run(t, ['http-origin', '--to', 'https://127.0.0.1:3000']);
  t.equal(to.code, 1);
  t.match(to.text, /^switchboard: invalid origin option: to must be an http:\/\/ URL/m);
  const missing = await run(t, ['http-origin']);
  t.equal(missing.code, 1);
  t.match(missing.text, /required option '--to <url>' not specified/);
  const bad = await run(t, ['http-origin', '--to', 'http://127.0.0.1:3000', '--concurrency', '0']);
  t.equal(bad.code, 1);
  t.match(bad.text, /^switchboard: .*concurrency must be an integer in 1\.\./m);
});

t.test('conformance flags reach runConformance, which checks them', async (t) => {
  t.setTimeout(60_000);
  const { code, text } = await run(t, ['conformance', '--bind', 'tcp://127.0.0.1:*', '--timeout', '0']);
  t.equal(code, 1);
  t.match(text, /^switchboard: invalid conformance option: timeoutMs must be a positive integer, got 0/m);
});

t.test('--help of every command ends with an example of it', async (t) => {
  t.setTimeout(120_000);
  for (const command of COMMANDS) {
    const { text } = await run(t, [command, '--help']);
    t.match(text, new RegExp(`\\nExample:\\n {2}\\$ switchboard ${command} `), `${command} --help`);
  }
});

t.test('router --print-config prints the effective options as JSON and exits; secrets only as "(set)"', async (t) => {
  t.setTimeout(60_000);
  const { code, text } = await run(t, ['router', '--print-config', '--admin-listen', ':9100', '--max-queue', '7', '--max-body-size', '1MiB', '--grip-sig-key', 's3cret', '--publish-basic', 'u:pw']);
  t.equal(code, 0);
  const config = JSON.parse(text);
  t.equal(config.maxQueue, 7, 'a flag');
  t.equal(config.maxBodySize, 1024 * 1024, 'a size, parsed');
  t.equal(config.adminListen, ':9100');
  t.equal(config.listen, '127.0.0.1:9000', 'a default');
  t.equal(config.adminMaxClients, 16);
  t.equal(config.gripSigKey, '(set)');
  t.equal(config.publishBasic, '(set)');
  t.notMatch(text, /s3cret|u:pw/, 'no secret printed');
  t.notOk('publishKey' in config, 'an option not set is absent');
  const bad = await run(t, ['router', '--print-config', '--max-queue', '-1']);
  t.equal(bad.code, 1, 'checked as the router checks it');
  const invalid = await run(t, ['router', '--print-config', '--admin-listen', 'nowhere']);
  t.equal(invalid.code, 1);
  t.match(invalid.text, /^switchboard: invalid router option: adminListen must be host:port/m);
});

t.test('a router process loads the router, not the SDK, the examples, the origin worker or the checker', async (t) => {
  t.setTimeout(60_000);
  const trace = new URL('./lib/trace-modules.mjs', import.meta.url).pathname;
  const router = spawnLogged(t, process.execPath, ['--import', trace, CLI, 'router', '--listen', '127.0.0.1:0', '--bind', 'tcp://127.0.0.1:*', '--control-bind', 'tcp://127.0.0.1:*'], { name: 'router' });
  await router.waitFor((e) => e.msg === 'router listening', 60_000, '"router listening"');
  const loaded = router.lines.filter((e) => e.msg === 'module loaded').map((e) => e.module);
  t.ok(loaded.includes('router/dist/router.js'), 'the router runtime (the trace works)');
  const runtimes = ['worker-sdk/dist/worker.js', 'examples/dist/index.js', 'examples/dist/run-worker.js', 'origin/dist/origin.js', 'conformance/dist/checker.js', 'router/dist/admin/admin-server.js'];
  t.same(loaded.filter((m) => runtimes.includes(m)), [], 'no other package runtime, nor the admin listener (not asked for)');
});

t.test('run as a program, the script starts Node with the GC and V8 flags of its #! line (memory per held client, parts freed at once)', async (t) => {
  t.setTimeout(60_000);
  // Spawned as the file itself: the kernel reads the #! line, env -S execs node with its flags (same pid).
  const router = spawnLogged(t, CLI, ['router', '--listen', '127.0.0.1:0', '--bind', 'tcp://127.0.0.1:*', '--control-bind', 'tcp://127.0.0.1:*'], { name: 'router' });
  await router.waitFor((e) => e.msg === 'router listening', 60_000, '"router listening"');
  const argv = readFileSync(`/proc/${router.child.pid}/cmdline`, 'utf8').split('\0');
  t.same(argv.slice(1, 5), ['--max-semi-space-size=2', '--heap-growing-percent=30', '--initial-old-space-size=32', '--harmony-rab-gsab-transfer']);
  t.equal(argv[5], CLI);
  router.child.kill('SIGTERM');
  t.equal((await router.exited).code, 0);
});
