// The head of a published long-poll response (published-head.ts): Pushpin's header inheritance, and the one-entry
// memo a fan-out shares, owned by each engine (no state at module level: two owners never see each other's entry).
import t from 'tap';
import { PublishedHeads } from '../../dist/realtime/published-head.js';

const base = { status: 200, headers: ['content-type', 'text/plain', 'x-kept', '1', 'content-length', '7'], body: Buffer.from('timeout') };
const published = { action: 'send', code: 200, headers: ['content-type', 'application/json'], body: Buffer.from('{}') };

t.test('published headers replace the timeout response\'s of the same name; the rest are inherited; framed anew', async (t) => {
  const heads = new PublishedHeads();
  t.same(heads.head(published, base), ['x-kept', '1', 'content-type', 'application/json', 'content-length', '2']);
});

t.test('the same publish and instructions get the same head object; another publish a new one', async (t) => {
  const heads = new PublishedHeads();
  const first = heads.head(published, base);
  t.equal(heads.head(published, base), first, 'reused across a fan-out');
  const other = { ...published, body: Buffer.from('{"a":1}') };
  t.not(heads.head(other, base), first);
  t.equal(heads.head(other, base).at(-1), '7');
});

t.test('two owners keep their own entry', async (t) => {
  const a = new PublishedHeads();
  const b = new PublishedHeads();
  const fromA = a.head(published, base);
  t.not(b.head(published, base), fromA, 'b built its own: nothing shared at module level');
  t.same(b.head(published, base), fromA);
});
