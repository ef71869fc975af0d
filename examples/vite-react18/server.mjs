/**
 * Serves the built page (`npm run build` first) and the chat backend on 127.0.0.1: the embedded
 * broker, a chat worker, the credentials endpoint and the HTTP trigger. A simulated model answers.
 *
 *   PORT=5180 MQTT_PORT=1883 MQTT_WS_PORT=9001 node server.mjs
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { streamText, convertToModelMessages } from 'ai';
import { startEmbeddedBroker } from '@cloudsignal/ai-chat-kit/broker';
import { createChatRequestHandler, createChatWorker, createCredentialsHandler, createJwtIssuer, createServiceAccount, toNodeHandler } from '@cloudsignal/ai-chat-kit/server';
import { createScriptedModel } from '@cloudsignal/ai-chat-kit/testing';

const host = '127.0.0.1';
const port = Number(process.env.PORT ?? 5180);
const dist = fileURLToPath(new URL('./dist/', import.meta.url));

const model = createScriptedModel({ text: 'Hello from the simulated model. React 18 renders this answer as it streams.', tokenDelayMs: 20 });
const chatTurn = async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal });
// Your session check goes here; this example has one user.
const authenticate = () => 'react18-user';

const jwtSecret = randomBytes(32);
const accounts = { worker: createServiceAccount('vite-worker'), trigger: createServiceAccount('vite-trigger') };
const broker = await startEmbeddedBroker({
  host,
  port: Number(process.env.MQTT_PORT ?? 1883),
  wsPort: Number(process.env.MQTT_WS_PORT ?? 9001),
  auth: { jwtSecret, serviceAccounts: [accounts.worker, accounts.trigger] },
});
const worker = await createChatWorker({ url: broker.mqttUrl, account: accounts.worker, handler: chatTurn });
const triggerClient = await mqtt.connectAsync(broker.mqttUrl, { clientId: accounts.trigger.clientId, username: accounts.trigger.username, password: accounts.trigger.password });

const routes = {
  '/api/mqtt-token': toNodeHandler(createCredentialsHandler({ authenticate, issuer: createJwtIssuer({ secret: jwtSecret }) })),
  '/api/chat': toNodeHandler(createChatRequestHandler({ client: triggerClient, handler: chatTurn, authenticate })),
};
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? '/', `http://${host}`).pathname;
  const route = routes[path];
  if (route) return route(request, response);
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  if (!file.startsWith(dist)) return response.writeHead(404).end();
  try {
    let body = await readFile(file);
    if (path === '/') body = Buffer.from(body.toString().replace('<head>', `<head><meta name="chat-wss-url" content="${broker.wsUrl}">`));
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
server.listen(port, host, () => console.log(`http://${host}:${port}/ (broker ${broker.mqttUrl}, browsers ${broker.wsUrl})`));

const shutdown = async () => {
  server.close();
  server.closeAllConnections();
  await worker.close();
  await triggerClient.endAsync();
  await broker.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
