// realtime/instruct.ts: Pushpin's rules for GRIP instructions (src/handler/instruct.cpp, instructtest.cpp).
import t from 'tap';
import { DEFAULT_TIMEOUT, InstructError, MAX_FILTERS, MINIMUM_TIMEOUT, isGripReply, parseInstruct, parseParams } from '../../dist/realtime/instruct.js';

const empty = Buffer.alloc(0);
const parse = (headers, body = empty, status = 200) => parseInstruct(status, headers, body);

t.test('which replies are GRIP: any Grip-* header, or Content-Type application/grip-instruct', async (t) => {
  t.ok(isGripReply(['grip-status', '200']));
  t.ok(isGripReply(['content-type', 'application/grip-instruct; charset=utf-8']));
  t.notOk(isGripReply(['content-type', 'text/plain', 'x-grip', '1']));
});

t.test('header parameters: items by comma, parameters by semicolon, quoted strings kept whole', async (t) => {
  t.same(parseParams('a; prev-id=1, b;filter=skip-self'), [[['a', undefined], ['prev-id', '1']], [['b', undefined], ['filter', 'skip-self']]]);
  t.same(parseParams('x; v="a,b;c=d"'), [[['x', undefined], ['v', 'a,b;c=d']]]);
  t.throws(() => parseParams('x; v="open'), InstructError);
});

t.test('Grip-Hold: response or stream, nothing else', async (t) => {
  t.equal(parse(['grip-hold', 'response', 'grip-channel', 'a']).hold, 'response');
  t.equal(parse(['grip-hold', 'stream', 'grip-channel', 'a']).hold, 'stream');
  t.equal(parse(['grip-status', '404']).hold, undefined, 'no hold');
  t.throws(() => parse(['grip-hold', 'later', 'grip-channel', 'a']), { message: "Grip-Hold must be set to either 'response' or 'stream'" });
  t.throws(() => parse(['grip-hold', 'response']), { message: 'a hold needs at least one channel' });
});

t.test('Grip-Channel: repeatable and comma-separated, with prev-id and filters (at most MAX_FILTERS)', async (t) => {
  const i = parse(['grip-hold', 'response', 'grip-channel', 'a; prev-id=7, b', 'grip-channel', 'c; filter=skip-self; filter=require-sub']);
  t.same(i.channels, [{ name: 'a', prevId: '7', filters: [] }, { name: 'b', filters: [] }, { name: 'c', filters: ['skip-self', 'require-sub'] }]);
  const many = Array.from({ length: MAX_FILTERS + 1 }, () => 'filter=skip-self').join('; ');
  t.throws(() => parse(['grip-hold', 'response', 'grip-channel', `a; ${many}`]), { message: "too many filters for channel 'a'" });
});

t.test('Grip-Timeout: default 55 s, at least 5 s, a non-negative integer', async (t) => {
  t.equal(parse(['grip-hold', 'response', 'grip-channel', 'a']).timeout, DEFAULT_TIMEOUT);
  t.equal(parse(['grip-hold', 'response', 'grip-channel', 'a', 'grip-timeout', '1']).timeout, MINIMUM_TIMEOUT);
  t.equal(parse(['grip-hold', 'response', 'grip-channel', 'a', 'grip-timeout', '90']).timeout, 90);
  t.throws(() => parse(['grip-timeout', 'soon']), { message: 'failed to parse Grip-Timeout' });
  t.throws(() => parse(['grip-timeout', '-3']), { message: 'Grip-Timeout has invalid value' });
});

t.test('Grip-Keep-Alive: data with format raw, cstring or base64; timeout (default 55, at least 1); mode idle or interval', async (t) => {
  const ka = (v) => parse(['grip-keep-alive', v]).keepAlive;
  t.same(ka('ping'), { data: Buffer.from('ping'), timeout: 55, mode: 'idle' });
  t.same(ka('\\n\\x41; format=cstring; timeout=0; mode=interval'), { data: Buffer.from('\nA'), timeout: 1, mode: 'interval' });
  t.same(ka(`${Buffer.from(':\n\n').toString('base64')}; format=base64`).data, Buffer.from(':\n\n'));
  t.throws(() => ka('x; format=hex'), { message: "no such Grip-Keep-Alive format 'hex'" });
  t.throws(() => ka('x; mode=sometimes'), { message: "no such Grip-Keep-Alive mode 'sometimes'" });
  t.throws(() => ka('\\q; format=cstring'), { message: 'failed to parse Grip-Keep-Alive cstring format' });
});

t.test('Grip-Status, Grip-Set-Meta, Grip-Expose-Headers, Grip-Link; Grip-* headers are stripped from the response', async (t) => {
  const i = parse(['grip-status', '404 Not Here', 'grip-set-meta', 'user=ann, room=1', 'x-a', '1', 'x-b', '2', 'grip-expose-headers', 'X-A',
    'grip-link', '</next?after=3>; rel=next; timeout=30', 'grip-link', '</gone>; rel=gone'], Buffer.from('b'));
  t.equal(i.response.status, 404);
  t.same(i.meta, { user: 'ann', room: '1' });
  t.same(i.response.headers, ['x-a', '1'], 'only exposed headers, no Grip-*');
  t.same(i.nextLink, { url: '/next?after=3', timeout: 30 });
  t.equal(i.goneLink, '/gone');
  t.equal(i.response.body.toString(), 'b');
  t.throws(() => parse(['grip-status', 'ok']), { message: 'failed to parse Grip-Status' });
  t.throws(() => parse(['grip-link', 'no-brackets; rel=next']), { message: 'failed to parse Grip-Link value' });
});

t.test('application/grip-instruct: a 200 JSON body; hold, channels, timeout, keep-alive, meta, response', async (t) => {
  const doc = {
    hold: { mode: 'stream', channels: [{ name: 'a', 'prev-id': '1', filters: ['skip-self'] }], timeout: 20, 'keep-alive': { content: ':\n', timeout: 10 }, meta: { user: 'u' } },
    response: { code: 202, headers: [['X-A', '1'], ['Grip-Hold', 'x']], 'body-bin': Buffer.from('hi').toString('base64') },
  };
  const i = parse(['content-type', 'application/grip-instruct'], Buffer.from(JSON.stringify(doc)));
  t.equal(i.hold, 'stream');
  t.same(i.channels, [{ name: 'a', prevId: '1', filters: ['skip-self'] }]);
  t.equal(i.timeout, 20);
  t.same(i.keepAlive, { data: Buffer.from(':\n'), timeout: 10, mode: 'idle' });
  t.same(i.meta, { user: 'u' });
  t.same(i.response, { status: 202, headers: ['x-a', '1'], body: Buffer.from('hi') });
  const noMode = parse(['content-type', 'application/grip-instruct'], Buffer.from('{"hold":{"channels":[{"name":"a"}]}}'));
  t.equal(noMode.hold, 'response', 'mode defaults to response');
  t.same(noMode.response, { status: 200, headers: [], body: Buffer.alloc(0) }, 'no response: an empty 200');
  const bad = (body, message, status = 200) => t.throws(() => parse(['content-type', 'application/grip-instruct'], Buffer.from(body), status), { message });
  bad('{}', 'response code for application/grip-instruct content must be 200', 201);
  bad('{nope', 'failed to parse application/grip-instruct content as JSON');
  bad('[]', 'instruct must be an object');
  bad('{"hold": 1}', "instruct contains 'hold' with wrong type");
  bad('{"hold": {"mode": "x", "channels": []}}', "hold 'mode' must be set to either 'response' or 'stream'");
  bad('{"hold": {"channels": [{"name": "a"}], "timeout": -1}}', "hold contains 'timeout' with invalid value");
  bad('{"response": {"headers": 5}}', "response contains 'headers' with wrong type");
  bad('{"response": {"body": 5}}', "response contains 'body' with wrong type");
});

t.test('custom reason phrases: Grip-Status "404 Custom Reason", JSON reason; a code in JSON clears it; CR/LF refused', async (t) => {
  t.equal(parse(['grip-status', '404 Custom Reason']).response.reason, 'Custom Reason');
  t.equal(parse(['grip-status', '404']).response.reason, undefined, 'none given: the standard phrase');
  const json = (response, headers = []) => parse(['content-type', 'application/grip-instruct', ...headers], Buffer.from(JSON.stringify({ response })));
  t.equal(json({ code: 409, reason: 'Taken Already' }).response.reason, 'Taken Already');
  t.equal(json({ code: 201 }, ['grip-status', '404 Gone Fishing']).response.reason, undefined, "a JSON code clears Grip-Status's reason (Pushpin)");
  t.throws(() => parse(['grip-status', '200 OK\r\nX-Injected: 1']), { message: 'Grip-Status contains an invalid reason phrase' });
  t.throws(() => json({ reason: 'a\nb' }), { message: "response 'reason' contains an invalid reason phrase" });
});
