// SPEC §6, the worked example: every frame shown there is byte for byte a case of protocol/vectors/frames.json,
// whose meaning vectors.test.mjs checks with two decoders. router/test/spec-worked-example.test.mjs checks that the
// router really sends the SYN_STREAM shown, so the hex in the SPEC cannot drift from the code.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeFrames, encodeHeaderBlock } from '@switchboard/protocol';

const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
const section = spec.slice(spec.indexOf('\n## 6. '), spec.indexOf('\n## 7. '));
const vectors = JSON.parse(readFileSync(new URL('../vectors/frames.json', import.meta.url), 'utf8')).cases;
const vector = (name) => vectors.find((c) => c.name === name).parts[0];

/**
 * The frames of a SPEC section in document order, as hex: inside a code block each line's leading hex bytes (the
 * annotation after them is set off by two or more spaces), a blank line ending a frame; outside, each `inline` run
 * of hex bytes is one frame.
 */
function framesOf(text) {
  const frames = [];
  let inBlock = false;
  let current = '';
  const close = () => {
    if (current) frames.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      close();
      inBlock = !inBlock;
    } else if (inBlock) {
      const hex = /^(?:[0-9a-f]{2} ?)+/.exec(line);
      if (hex) current += hex[0].replaceAll(' ', '');
      else close();
    } else {
      for (const m of line.matchAll(/`((?:[0-9a-f]{2} )+[0-9a-f]{2})`/g)) frames.push(m[1].replaceAll(' ', ''));
    }
  }
  return frames;
}

t.test('SPEC §6 worked example', async (t) => {
  const frames = framesOf(section);
  const names = ['syn-stream-get', 'syn-reply-200', 'data-fin', 'rst-stream-cancel', 'window-update', 'control-hello'];
  t.equal(frames.length, names.length, `§6 shows ${names.length} frames`);
  for (const [i, name] of names.entries()) {
    t.equal(frames[i], vector(name), `frame ${i + 1} of §6 is the ${name} vector`);
    t.equal(decodeFrames(Buffer.from(frames[i] ?? '', 'hex')).length, 1, `frame ${i + 1} decodes as one frame`);
  }
});

t.test('SPEC §3.3: the stored header block shown for `:status: 200` is what the codec writes', async (t) => {
  const shown = /```\n(78 bb \| [^\n]+)\n/.exec(spec)[1].replaceAll('|', '').replaceAll(/\s+/g, '');
  t.equal(shown, encodeHeaderBlock([':status', '200']).toString('hex'));
});
