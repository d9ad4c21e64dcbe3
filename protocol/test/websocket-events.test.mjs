// The WebSocket event codec (protocol/src/websocket-events.ts): Pushpin's `TYPE <hexlen>\r\n<bytes>\r\n` encoding, as
// its websocketoverhttp.cpp writes and reads it, parsed incrementally from chunks split anywhere.
import t from 'tap';
import { closeContent, encodeEvent, EventParser } from '@switchboard/protocol';

function parseAll(chunks, max = 1 << 20) {
  const events = [];
  const parser = new EventParser({ event: (type, content) => events.push([type, content === null ? null : content.toString('latin1')]) }, max);
  for (const c of chunks) parser.push(Buffer.from(c, 'latin1'));
  return { events, parser };
}

t.test('encodes as Pushpin does: a hex length with content, none without', async (t) => {
  t.equal(encodeEvent('OPEN').toString(), 'OPEN\r\n');
  t.equal(encodeEvent('TEXT', Buffer.from('hello world!!!!!')).toString(), 'TEXT 10\r\nhello world!!!!!\r\n');
  t.equal(encodeEvent('TEXT', Buffer.alloc(0)).toString(), 'TEXT 0\r\n\r\n', 'empty content is not no content');
  t.same([...closeContent(4000, 'bye')], [0x0f, 0xa0, 0x62, 0x79, 0x65]);
  t.equal(closeContent(undefined, ''), null);
});

t.test('parses events split at every byte', async (t) => {
  const bytes = 'OPEN\r\nTEXT 5\r\nhello\r\nBINARY 0\r\n\r\nCLOSE 2\r\n\x03\xe8\r\nDISCONNECT\r\n';
  const whole = parseAll([bytes]);
  const split = parseAll([...bytes]);
  const want = [['OPEN', null], ['TEXT', 'hello'], ['BINARY', ''], ['CLOSE', '\x03\xe8'], ['DISCONNECT', null]];
  t.same(whole.events, want);
  t.same(split.events, want);
  t.ok(split.parser.idle);
  t.notOk(parseAll(['TEXT 5\r\nhel']).parser.idle, 'half an event is not idle');
});

t.test('refuses what is not events, and content past the limit before keeping any of it', async (t) => {
  t.throws(() => parseAll(['TEXT 5\r\nhelloXX']), { name: 'EventSyntaxError' }, 'content not followed by CRLF');
  t.throws(() => parseAll(['TEXT zz\r\n']), { name: 'EventSyntaxError' }, 'a length that is not hex');
  t.throws(() => parseAll(['text\r\n']), { name: 'EventSyntaxError' }, 'a type that is not upper-case letters');
  t.throws(() => parseAll(['OPEN\n']), { name: 'EventSyntaxError' }, 'a bare LF');
  t.throws(() => parseAll([`TEXT ${'0'.repeat(80)}`]), { name: 'EventSyntaxError' }, 'a type line that never ends');
  t.throws(() => parseAll(['TEXT 401\r\n'], 1024), /over the 1024-byte limit/);
});
