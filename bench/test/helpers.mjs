// Shared by the bench's target tests.
import { get } from 'node:http';

/** True while a process with this id exists. */
export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves with the status and the first body chunk of a response that may never end (held streams). */
export const firstChunk = (url) =>
  new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.once('data', (chunk) => {
        resolve({ status: res.statusCode, chunk: String(chunk) });
        req.destroy();
      });
    });
    req.on('error', reject);
  });
