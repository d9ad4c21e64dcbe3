// The Python and Ruby workers' codecs against every case of protocol/vectors/, in their own test runners.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a command to completion (bounded), resolving with its exit code and combined output. */
function run(t, command, args, cwd, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    // PYTHONDONTWRITEBYTECODE: no __pycache__/ left in the source tree.
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    t.teardown(() => child.exitCode === null && child.kill('SIGKILL'));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output });
    });
  });
}

t.test('Python (standard library zlib and struct): examples/python/test_vectors.py passes', async (t) => {
  t.setTimeout(90_000);
  // Debian's python3 (with python3-zmq), not whatever python3 comes first on PATH.
  const { code, output } = await run(t, '/usr/bin/python3', ['-m', 'unittest', '-v', 'test_vectors'], `${ROOT}examples/python`);
  t.equal(code, 0, output);
  t.match(output, /Ran 6 tests/); // the vectors, and the split DATA frame (SPEC §3.1)
  t.match(output, /^OK$/m);
});

t.test('Ruby (standard library zlib): examples/ruby/test_vectors.rb passes', async (t) => {
  t.setTimeout(90_000);
  const { code, output } = await run(t, '/usr/bin/ruby', ['test_vectors.rb'], `${ROOT}examples/ruby`);
  t.equal(code, 0, output);
  t.match(output, /5 runs, \d+ assertions, 0 failures, 0 errors/); // the vectors, and the split DATA frame
});
