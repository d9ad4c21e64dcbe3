// The same app as a Switchboard worker: `node worker.js`, with `switchboard router` running.
import { Worker } from '@switchboard/worker-sdk';
import app from './app.js';

new Worker({ connect: process.env.SWITCHBOARD_CONNECT ?? 'tcp://127.0.0.1:8000', name: 'notes' }).handle(app);
