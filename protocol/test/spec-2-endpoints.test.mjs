// SPEC §2: the control endpoint is derived from the request endpoint.
import t from 'tap';
import { controlEndpointFor } from '@switchboard/protocol';

t.test('SPEC §2 endpoints', async (t) => {
  t.test('tcp: the port after the request port', async (t) => {
    t.equal(controlEndpointFor('tcp://127.0.0.1:8000'), 'tcp://127.0.0.1:8001');
    t.equal(controlEndpointFor('tcp://[::1]:9000'), 'tcp://[::1]:9001');
  });

  t.test('ipc: the same path with .ctl appended', async (t) => {
    t.equal(controlEndpointFor('ipc:///tmp/sb.sock'), 'ipc:///tmp/sb.sock.ctl');
  });

  t.test('no derivation for port 0, port 65535 or other transports: give it explicitly', async (t) => {
    t.throws(() => controlEndpointFor('tcp://127.0.0.1:0'));
    t.throws(() => controlEndpointFor('tcp://127.0.0.1:65535'));
    t.throws(() => controlEndpointFor('inproc://x'));
  });
});
