// router/src/options.ts in-process, the edge's options (issue 14 item 4): repeatable listeners, https:// listeners and
// their certificate, the h2 and TLS bounds.
import t from 'tap';
import { DEFAULTS, parseListeners, resolveOptions } from '../../dist/options.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
const refused = (t, options, detail) =>
  t.throws(() => resolveOptions(options), { code: 'ROUTER_ERR_INVALID_OPTION', message: detail }, JSON.stringify(options).slice(0, 80));

t.test('listen takes one address or several; https:// marks a TLS listener, http:// or none a plain one', async (t) => {
  t.same(parseListeners('127.0.0.1:9000'), [{ tls: false, host: '127.0.0.1', port: 9000 }]);
  t.same(parseListeners(['http://127.0.0.1:80', 'https://[::1]:443']), [{ tls: false, host: '127.0.0.1', port: 80 }, { tls: true, host: '::1', port: 443 }]);
  t.same(resolveOptions({ listen: ['127.0.0.1:0', 'https://127.0.0.1:0'], tlsCert: CERT, tlsKey: KEY }).listen, ['127.0.0.1:0', 'https://127.0.0.1:0']);
  refused(t, { listen: [] }, /listen must be/);
  refused(t, { listen: ['127.0.0.1:0', 'nonsense'] }, /listen must be/);
  refused(t, { listen: 'ftp://127.0.0.1:21' }, /listen must be/);
});

t.test('an https:// listener needs a certificate and key, and a certificate needs an https:// listener', async (t) => {
  refused(t, { listen: 'https://127.0.0.1:0' }, /needs tlsCert and tlsKey/);
  refused(t, { listen: 'https://127.0.0.1:0', tlsCert: CERT }, /go together/);
  refused(t, { tlsCert: CERT, tlsKey: KEY }, /for https:\/\/ listeners/);
  refused(t, { listen: 'https://127.0.0.1:0', tlsCert: 'not pem', tlsKey: KEY }, /tlsCert must be PEM/);
});

t.test('h2 and TLS bounds have defaults and are checked', async (t) => {
  t.match(DEFAULTS, { tlsHandshakeTimeout: 10_000, h2MaxStreams: 100, h2MaxResets: 200 });
  refused(t, { h2MaxStreams: 0 }, /h2MaxStreams must be/);
  refused(t, { h2MaxResets: 1.5 }, /h2MaxResets must be/);
  refused(t, { tlsHandshakeTimeout: 0 }, /tlsHandshakeTimeout must be/);
});
