// The public GRIP libraries' WebSocket support, unchanged, in an SDK worker (issue 12 item 2): @fanoutio/serve-grip
// gives a node-style handler @fanoutio/grip's WebSocketContext for each WebSocket-over-HTTP batch the router sends;
// the handler accepts, echoes, subscribes the socket to a channel and detaches it, and @fanoutio/grip's Publisher
// publishes a ws-message to the router's publish API. A real router, a real `ws` client; every wait is for an event.
import t from 'tap';
import WebSocket from 'ws';
import { Publisher, WebSocketMessageFormat } from '@fanoutio/grip';
import { eventually, serve, serveGrip, within } from './lib/apps.mjs';

/** serve-grip's README WebSocket example, plus "detach": the handler sees only the library's WebSocketContext. */
async function handler(req, res) {
  if (!(await serveGrip.run(req, res))) return;
  const ws = req.grip.wsContext;
  if (ws == null) {
    res.statusCode = 400;
    res.end('[not a websocket request]\n');
    return;
  }
  if (ws.isOpening()) {
    ws.accept();
    ws.subscribe('room');
  }
  while (ws.canRecv()) {
    const message = ws.recv();
    if (message == null) { // the client closed
      ws.close();
      break;
    }
    if (message === 'detach') {
      ws.send('detaching');
      ws.detach();
    } else {
      ws.send(`echo: ${message}`);
    }
  }
  res.end();
}

function nextMessage(client) {
  return eventually(client, 'message').then(([data]) => data.toString());
}

t.test('a WebSocketContext handler behind the router: accept, echo, subscribe, publish, detach', async (t) => {
  const { router } = await serve(t, handler);
  const publisher = new Publisher({ control_uri: router.publishUrl });
  const client = new WebSocket(`ws://${router.listen}/socket`);
  t.teardown(() => client.terminate());
  await eventually(client, 'open');

  client.send('hello');
  t.equal(await nextMessage(client), 'echo: hello', 'the handler echoes through the router');

  const published = nextMessage(client);
  await publisher.publishFormats('room', new WebSocketMessageFormat('news for the room'));
  t.equal(await published, 'news for the room', 'a ws-message publish reaches the subscribed socket');

  client.send('detach');
  t.equal(await nextMessage(client), 'detaching');
  const afterDetach = nextMessage(client);
  await publisher.publishFormats('room', new WebSocketMessageFormat('still subscribed'));
  t.equal(await afterDetach, 'still subscribed', 'a detached socket keeps its subscriptions: publishes still arrive');

  const closed = within(new Promise((resolve) => client.once('close', (code) => resolve(code))), 'the client closed');
  client.close(1000);
  t.equal(await closed, 1000);
});
