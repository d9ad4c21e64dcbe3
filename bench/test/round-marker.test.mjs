// The fan-out benches' arrival check: a round's marker is found however the reads split it, and only then.
import t from 'tap';
import { MarkerWatch } from '../dist/round-marker.js';

const reads = (watch, parts, marker) => parts.map((p) => watch.read(Buffer.from(p, 'latin1'), marker));

t.test('a marker within one read, at its end or before other bytes', async (t) => {
  t.same(reads(new MarkerWatch(), ['12\r\ndata: 3\n\n\r\n'], 'data: 3\n\n'), [true]);
  t.same(reads(new MarkerWatch(), ['\x81\x09publish 3\x81\x09publish 4'], 'publish 3'), [true]);
});

t.test('a marker split across two or more reads is found in the read that completes it', async (t) => {
  t.same(reads(new MarkerWatch(), ['HTTP/1.1 200 OK\r\n\r\n1', '7\n'], '\r\n\r\n17\n'), [false, true]);
  t.same(reads(new MarkerWatch(), ['\x81\x0apub', 'l', 'ish 1', '2'], 'publish 12'), [false, false, false, true]);
  t.same(reads(new MarkerWatch(), ['xxxxxxxxpublish', ' 5'], 'publish 5'), [false, true]);
});

t.test('the tail of an earlier round, or a prefix of the marker, does not count', async (t) => {
  const watch = new MarkerWatch();
  // Round 1's frame split: its tail arrives once round 2 waits.
  t.same(reads(watch, ['\x81\x09publi', 'sh 1'], 'publish 2'), [false, false]);
  t.same(reads(watch, ['\x81\x09publish 2'], 'publish 2'), [true]);
  t.same(reads(new MarkerWatch(), ['data: 1', '0\n\n'], 'data: 1\n\n'), [false, false], 'round 10 is not round 1');
});
