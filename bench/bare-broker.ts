/**
 * The bare-broker reference, as its own process: aedes with no hooks (every CONNECT accepted, every publish
 * acknowledged at once) and one in-process subscriber on `city/#` that only counts what it is given.
 * Same options as citysense's broker where they bear on speed (concurrency, see TOOLCHAIN.md).
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { BareEvent } from './protocol.js';

const broker = await Aedes.createBroker({ concurrency: 100_000 });
let delivered = 0;
await new Promise<void>((resolve) =>
  broker.subscribe(
    'city/#',
    (_packet, done) => {
      delivered++;
      // Asynchronously, as an in-process handler must (a synchronous callback overflows the stack).
      queueMicrotask(done);
    },
    resolve,
  ),
);

const server = createServer({ noDelay: true }, broker.handle);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send!({ ev: 'listening', port } satisfies BareEvent);
});

process.on('message', (m: { cmd: 'count' | 'close' }) => {
  if (m.cmd === 'count') process.send!({ ev: 'count', delivered, at: Date.now() } satisfies BareEvent);
  else if (m.cmd === 'close') broker.close(() => server.close(() => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
