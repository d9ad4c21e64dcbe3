// The node:http hello server (hello-server.ts) as a child process: the direct target, and the app behind nginx and Pushpin.
import { fileURLToPath } from 'node:url';
import { Child } from './proc.js';
import type { App } from './types.js';

const SERVER = fileURLToPath(new URL('./hello-server.js', import.meta.url));

export interface Backend {
  child: Child;
  port: number;
}

export async function startBackend(name: string, size: number | undefined): Promise<Backend> {
  const args = [SERVER, '--port', '0', ...(size === undefined ? [] : ['--size', String(size)])];
  const child = new Child(process.execPath, args, { name });
  try {
    const line = await child.waitForLine((l) => l.includes('"listening"'), 10_000, 'listening line');
    return { child, port: (JSON.parse(line) as { port: number }).port };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/** Path of each app on the node:http hello server (hello-server.ts). */
export function backendPath(app: App, bytes?: number): string {
  if (app === 'bytes') return `/bytes/${bytes ?? 0}`;
  return app === 'hold' ? '/hold' : '/';
}
