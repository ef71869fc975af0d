/**
 * A worker started before its broker is ready (a container that comes up first, a broker that
 * resets the first connections) keeps trying with backoff until it connects; refused credentials
 * end the start at once with a clear error instead of retrying.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, createServiceAccount, type ChatWorker } from '../../src/server/index.js';
import { scriptedChunkStream } from '../../src/testing/index.js';

let broker: EmbeddedBroker | null = null;
let worker: ChatWorker | null = null;

afterEach(async () => {
  await worker?.close();
  await broker?.close();
  worker = null;
  broker = null;
});

const handler = () => scriptedChunkStream({ text: 'hi' });

describe('createChatWorker with a url', () => {
  test('its first connection is reset (the broker is not up yet): it tries again and starts once the broker listens', async () => {
    // A listener that resets the first connection, then gives its port to the broker.
    const gate = createServer();
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const port = (gate.address() as AddressInfo).port;
    const brokerUp = new Promise<void>((resolve, reject) => {
      gate.once('connection', (socket: Socket) => {
        socket.resetAndDestroy();
        gate.close(() => startEmbeddedBroker({ port, wsPort: 0 }).then((started) => ((broker = started), resolve()), reject));
      });
    });
    const starting = createChatWorker({ url: `mqtt://127.0.0.1:${port}`, handler, rateLimit: false });
    await brokerUp;
    worker = await starting;
    expect(worker.stats.mode).toBeDefined();
    expect(broker!.aedes.connectedClients).toBeGreaterThanOrEqual(1);
  });

  test('refused credentials reject at once, naming the cause', async () => {
    const account = createServiceAccount('worker-start');
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0, auth: { jwtSecret: 'worker-start-secret-0123456789abcdef', serviceAccounts: [account] } });
    const failure = await createChatWorker({ url: broker.mqttUrl, account: { ...account, password: 'wrong' }, handler, rateLimit: false, connectTimeoutMs: 60_000 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/refused the credentials/);
  });
});
