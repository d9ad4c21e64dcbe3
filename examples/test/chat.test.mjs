// End to end: the chat example (`switchboard chat`, an SDK worker) connected to two `switchboard router` processes,
// and two `ws` clients in one room, one on each router. A message from either reaches both: the routers hold the
// sockets, the worker publishes in-band to every router it is connected to. Real processes, real WebSockets.
import t from 'tap';
import WebSocket from 'ws';
import { request, startRouter, startWorker } from '../../router/test/lib/harness.mjs';

t.setTimeout(300_000);

/** A client in `room` as `name` on `router`, open; its messages, parsed, arrive in `received`. */
async function join(t, router, room, name) {
  const ws = new WebSocket(`ws://${router.listen}/chat/${room}?name=${encodeURIComponent(name)}`);
  t.teardown(() => ws.terminate());
  const received = [];
  const waiters = [];
  ws.on('message', (data) => {
    received.push(JSON.parse(data.toString()));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  /** Resolves once a message matching `match` arrived. */
  const heard = (match) => new Promise((resolve) => {
    const check = () => {
      const found = received.find(match);
      if (found) resolve(found);
      else waiters.push(check);
    };
    check();
  });
  return { ws, received, heard };
}

t.test('two routers, one room: a message from a client on either reaches both', async (t) => {
  const one = await startRouter(t);
  const two = await startRouter(t);
  startWorker(t, one, 'chat-1', ['--connect', two.bind, '--control', two.control], 'chat');
  await Promise.all([one.joined(1), two.joined(1)]);

  const page = await request(`${one.url}/`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body.toString(), /new WebSocket\(/, 'the page opens the room\'s WebSocket');

  const ann = await join(t, one, 'lobby', 'ann');
  const bob = await join(t, two, 'lobby', 'bob');
  const elsewhere = await join(t, two, 'kitchen', 'cy');

  ann.ws.send('hello from router one');
  const want = { from: 'ann', text: 'hello from router one' };
  t.same(await bob.heard((m) => m.text === want.text), want, 'bob, on the other router, hears ann');
  t.same(await ann.heard((m) => m.text === want.text), want, 'ann hears herself');

  bob.ws.send('and back from router two');
  t.same(await ann.heard((m) => m.from === 'bob'), { from: 'bob', text: 'and back from router two' });

  elsewhere.ws.send('kitchen only');
  await elsewhere.heard((m) => m.text === 'kitchen only');
  // Published after "hello" and "and back" on the same worker, "kitchen only" would have reached ann by now if rooms
  // leaked; ann's next message orders after it.
  ann.ws.send('last');
  await ann.heard((m) => m.text === 'last');
  t.notOk(ann.received.some((m) => m.text === 'kitchen only'), 'another room\'s messages stay there');

  t.equal((await request(`${one.url}/chat/lobby`)).status, 400, 'a plain request to a room is refused');
});
