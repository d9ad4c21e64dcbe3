// router/src/workers/curve.ts in-process: key files, allow lists and Z85 (SPEC §5.9). The ZAP handler itself needs
// CurveZMQ handshakes: router/test/curve.test.mjs and hostile-workers-options.test.mjs run it end to end.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAllowList, readKeyFile, writeKeyPair, z85Encode } from '../../dist/workers/curve.js';

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** A fresh directory, removed at the end of the test. */
function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-curve-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('Z85 (ZeroMQ RFC 32): the spec\'s test vector and the edges of a 4-byte group', async (t) => {
  t.equal(z85Encode(Buffer.from('864FD26FB559F75B', 'hex')), 'HelloWorld');
  t.equal(z85Encode(Buffer.alloc(4)), '00000');
  t.equal(z85Encode(Buffer.from('ffffffff', 'hex')), '%nSc0');
  t.match(z85Encode(Buffer.alloc(32, 0xa5)), Z85_KEY, 'a 32-byte key is 40 characters');
});

t.test('writeKeyPair writes a secret .key (mode 0600, both keys) and a .pub with the public key alone', async (t) => {
  const prefix = join(scratch(t), 'router');
  const pair = writeKeyPair(prefix);
  t.match(pair, { publicKey: Z85_KEY, secretKey: Z85_KEY });
  t.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600, 'only its owner may read the secret');
  t.same(readKeyFile(`${prefix}.key`), pair);
  t.same(readKeyFile(`${prefix}.pub`), { publicKey: pair.publicKey, secretKey: undefined });
  t.notOk(readFileSync(`${prefix}.pub`, 'utf8').includes(pair.secretKey), 'the secret never goes in the .pub');
});

t.test('readKeyFile reads the czmq certificate style, with any spacing, and ignores keys of the wrong length', async (t) => {
  const file = join(scratch(t), 'hand.key');
  const key = 'a'.repeat(40);
  writeFileSync(file, `# written by hand\n  public-key="${key}"\nsecret-key   =   "${'b'.repeat(39)}"\n`);
  t.same(readKeyFile(file), { publicKey: key, secretKey: undefined });
});

t.test('readAllowList: one key a line, bare or as a key file\'s public-key line; whole-line comments and blanks skipped', async (t) => {
  const dir = scratch(t);
  const a = writeKeyPair(join(dir, 'a'));
  const b = writeKeyPair(join(dir, 'b'));
  const list = join(dir, 'allowed');
  writeFileSync(list, `# workers allowed in\n\n  ${a.publicKey}  \r\n${readFileSync(join(dir, 'b.pub'), 'utf8')}`);
  t.same(readAllowList(list), [a.publicKey, b.publicKey]);
});

t.test('readAllowList: a key starting with # (a Z85 digit) is read in the public-key = "..." form; bare, its line is a comment', async (t) => {
  const list = join(scratch(t), 'allowed');
  const key = `#${'x'.repeat(39)}`;
  writeFileSync(list, `public-key = "${key}"\n${key}\n`);
  t.same(readAllowList(list), [key], 'once: the bare line is skipped (the admission fails closed)');
});

t.test('readAllowList: a line that is not a 40-character key is an error naming the file and the line', async (t) => {
  const list = join(scratch(t), 'allowed');
  writeFileSync(list, `${'k'.repeat(40)}\nnot-a-key\n`);
  t.throws(() => readAllowList(list), { message: `${list}: not a Z85 public key: "not-a-key"` });
  writeFileSync(list, `${'k'.repeat(40)} # trailing comment\n`);
  t.throws(() => readAllowList(list), /not a Z85 public key/, 'comments are whole lines only');
});

t.test('readAllowList: an empty list allows nobody', async (t) => {
  const list = join(scratch(t), 'allowed');
  writeFileSync(list, '# nobody yet\n');
  t.same(readAllowList(list), []);
});
