export { runHello, type HelloOptions } from './hello.js';
export { runStream, type StreamOptions } from './stream.js';
export { runCounter, type CounterOptions } from './counter.js';
export { roomChannel, runChat, type ChatOptions } from './chat.js';
export { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';
