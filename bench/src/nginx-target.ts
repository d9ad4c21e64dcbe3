// nginx in front of the node:http hello server: one worker process, upstream keepalive, no access log, every path it
// writes inside a temp dir, running as the current user, in the foreground.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { backendPath, startBackend } from './backend.js';
import { waitForHttp } from './http-check.js';
import { freePort } from './ports.js';
import { Child } from './proc.js';
import { fdLimit, processTree } from './procstat.js';
import type { Target, TargetSpec } from './types.js';
import { which } from './which.js';

/** File descriptors kept back for the listening socket, logs and temp files. */
const FD_RESERVE = 200;

export function nginxMissing(): string | undefined {
  return which('nginx') ? undefined : 'nginx is not installed (Debian: apt-get install nginx-light)';
}

/** With `tls`, the listener is HTTPS with HTTP/2 (ALPN h2 and http/1.1), for the h2 bench (h2-edge.ts); its h2
 * connections are not closed after 1,000 requests (h2load's timed mode does not reconnect). */
export function nginxConfig(dir: string, port: number, backendPort: number, fds: number, tls?: { cert: string; key: string }): string {
  // nginx starts its workers as `nobody` when run as root; they could not use our 0700 temp dir.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  return `${user}daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile ${fds};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${fds - FD_RESERVE}; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${backendPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port}${tls ? ' ssl http2' : ''} backlog=4096;${tls ? `
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};\n    keepalive_requests 1000000;` : ''}
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 300s;
      # The upload scenario: request bodies of any size, streamed to the app as they arrive (not spooled to disk).
      client_max_body_size 0;
      proxy_request_buffering off;
    }
  }
}
`;
}

/**
 * Streams nginx can hold: each takes a client and an upstream connection, and nginx starts closing connections once
 * fewer than 1/16 of worker_connections are free ("worker_connections are not enough, reusing connections").
 */
function maxHeld(fds: number): number {
  return Math.floor(((fds - FD_RESERVE) * 15) / 16 / 2) - 100;
}

export async function startNginx(spec: TargetSpec, tmpDir: string): Promise<Target> {
  const dir = await mkdtemp(join(tmpDir, 'nginx-'));
  const backend = await startBackend('node:http behind nginx', spec.size);
  const port = await freePort();
  const fds = fdLimit();
  await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, port, backend.port, fds));
  const nginx = new Child(which('nginx')!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { name: 'nginx' });
  const stop = async () => {
    await Promise.all([nginx.stop(), backend.child.stop()]);
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, nginx, 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    spec,
    origin: `http://127.0.0.1:${port}`,
    path: backendPath,
    procs: [
      ...processTree(nginx.pid).map((p) => ({ role: p.pid === nginx.pid ? 'nginx master' : 'nginx worker', group: 'proxy' as const, pid: p.pid })),
      { role: 'node:http', group: 'backend', pid: backend.child.pid },
    ],
    maxHeld: maxHeld(fds),
    stop,
  };
}
