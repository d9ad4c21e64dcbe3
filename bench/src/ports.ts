// Free loopback ports: ask the kernel for one, then release it for the process that will bind it.
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago and that this run has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port after 20 attempts');
}
