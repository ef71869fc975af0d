/**
 * `npm run demo`: starts the whole stack on 127.0.0.1 and prints where to look.
 *
 *   npm run demo -- --port 8080 --mqtt-port 1884 --ws-port 9002 --tokens-per-second 20
 *   npm run demo -- --fresh          # start with no chats
 *
 * Flags win over the environment (`PORT`, `MQTT_PORT`, `MQTT_WS_PORT`, `DEMO_TOKENS_PER_SECOND`,
 * `DEMO_MODEL`). Ctrl+C stops everything.
 */
import { parseArgs } from 'node:util';
import { DEMO_CHATS_DIR, DEMO_DEFAULT_PORT, DemoConfigError, NotAChatsDirectoryError, PortInUseError, startDemo, type DemoOptions } from './stack.js';

/** The flag and variable that move each listener's port. */
const PORT_FLAGS: Record<string, string> = { HTTP: '--port / PORT', MQTT: '--mqtt-port / MQTT_PORT', WebSocket: '--ws-port / MQTT_WS_PORT' };
import { DEFAULT_TOKENS_PER_SECOND } from './simulated-model.js';
import type { ModelChoice } from './model.js';

const HELP = `Usage: npm run demo -- [options]

  --port <n>               page, auth endpoint and HTTP trigger (env PORT, default ${DEMO_DEFAULT_PORT})
  --mqtt-port <n>          embedded broker, MQTT over TCP (env MQTT_PORT, default 1883)
  --ws-port <n>            embedded broker, MQTT over WebSocket (env MQTT_WS_PORT, default 9001)
  --tokens-per-second <n>  simulated model's rate (env DEMO_TOKENS_PER_SECOND, default ${DEFAULT_TOKENS_PER_SECOND})
  --model <name>           auto | simulated | anthropic | openai (env DEMO_MODEL, default auto)
  --stream-timeout <ms>    page's stream timeout (env DEMO_STREAM_TIMEOUT_MS, default 60000)
  --chats-dir <path>       PGlite directory keeping the chats (env DEMO_CHATS_DIR, default .data/demo-chats)
  --fresh                  start with no chats (empties the chats directory)
  -h, --help               this text

Port 0 picks a free port. Models: ANTHROPIC_API_KEY (ANTHROPIC_MODEL), OPENAI_API_KEY
(OPENAI_MODEL, OPENAI_BASE_URL); none set: the offline simulated model. Hosted broker:
CLOUDSIGNAL_MQTTS_URL, CLOUDSIGNAL_ORG_ID, CLOUDSIGNAL_SECRET_KEY, CLOUDSIGNAL_TOKEN_SERVICE_URL,
NEXT_PUBLIC_CLOUDSIGNAL_WSS_URL, or MQTT_URL + MQTT_WS_URL (MQTT_USERNAME, MQTT_PASSWORD,
MQTT_JWT_SECRET): then no embedded broker is started.`;

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) fail(`${name} must be a non-negative number (got "${value}").`);
  return parsed;
}

function parseOptions(): DemoOptions {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        'mqtt-port': { type: 'string' },
        'ws-port': { type: 'string' },
        'tokens-per-second': { type: 'string' },
        model: { type: 'string' },
        'stream-timeout': { type: 'string' },
        'chats-dir': { type: 'string' },
        fresh: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const env = process.env;
  const model = (values.model ?? env.DEMO_MODEL ?? 'auto') as ModelChoice;
  if (!['auto', 'simulated', 'anthropic', 'openai'].includes(model)) fail(`--model must be auto, simulated, anthropic or openai (got "${model}").`);
  const tokensPerSecond = number('--tokens-per-second', values['tokens-per-second'] ?? env.DEMO_TOKENS_PER_SECOND);
  if (tokensPerSecond === 0) fail('--tokens-per-second must be greater than 0.');
  return {
    port: number('--port', values.port ?? env.PORT),
    mqttPort: number('--mqtt-port', values['mqtt-port'] ?? env.MQTT_PORT),
    wsPort: number('--ws-port', values['ws-port'] ?? env.MQTT_WS_PORT),
    tokensPerSecond,
    model,
    streamTimeoutMs: number('--stream-timeout', values['stream-timeout'] ?? env.DEMO_STREAM_TIMEOUT_MS),
    chatsDir: values['chats-dir'] || env.DEMO_CHATS_DIR || DEMO_CHATS_DIR,
    freshChats: values.fresh ?? false,
  };
}

const options = parseOptions();
let stack;
try {
  stack = await startDemo(options);
} catch (error) {
  if (error instanceof PortInUseError) fail(`${error.message} Choose another with ${PORT_FLAGS[error.what] ?? '--port'} (0 picks a free port).`);
  if (error instanceof DemoConfigError || error instanceof NotAChatsDirectoryError) fail(error.message);
  fail(error instanceof Error ? error.message : String(error));
}

const { model } = stack;
const modelLine =
  model.provider === 'simulated'
    ? `${model.label} (offline, ${model.simulated!.tokensPerSecond} tokens/s; set ANTHROPIC_API_KEY or OPENAI_API_KEY for a real one)`
    : model.label;
const brokerLine =
  stack.broker === 'embedded'
    ? `embedded (Aedes): ${stack.mqttUrl} for workers, ${stack.wsUrl} for browsers`
    : `${stack.broker === 'cloudsignal' ? 'CloudSignal' : 'hosted'}: ${stack.mqttUrl} for workers, ${stack.wsUrl} for browsers`;
const authLine =
  stack.browserAuth === 'jwt'
    ? 'signed per-user tokens from /api/mqtt-token; the broker enforces the per-user ACL'
    : stack.browserAuth === 'cloudsignal'
      ? 'CloudSignal token service credentials from /api/mqtt-token'
      : 'ANONYMOUS: the broker checks no credentials (set MQTT_JWT_SECRET if it verifies chat tokens)';

console.log(`
AI chat over MQTT: demo running

  Open      ${stack.url}
  Same chat in a second tab or browser: ${stack.url}?user=alice&chat=demo
  Broker    ${brokerLine}
  Browsers  ${authLine}
  Model     ${modelLine}
  Chats     ${stack.chats.dir ? `PGlite in ${stack.chats.dir}${options.freshChats ? ' (started fresh)' : ' (npm run demo -- --fresh starts with none)'}` : 'in memory'}
  Worker    serving chat/+/+/request; HTTP trigger at POST /api/chat

Press Ctrl+C to stop.
`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    console.log('demo: forced exit');
    process.exit(130);
  }
  stopping = true;
  console.log(`\ndemo: ${signal}, stopping (Ctrl+C again to force)…`);
  stack.close().then(
    () => {
      console.log('demo: stopped');
      process.exit(0);
    },
    (error: unknown) => fail(`error while stopping: ${error instanceof Error ? error.message : String(error)}`),
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
