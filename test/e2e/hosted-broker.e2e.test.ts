/**
 * The demo against a broker it did not start: `MQTT_URL` + `MQTT_WS_URL` pointing at a real
 * Mosquitto (anonymous). No embedded broker starts, the worker uses Mosquitto's shared
 * subscriptions, and the page streams the answer through it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDemo, type DemoStack } from '../../demo/stack.js';
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { chatPage, launchChromium, newRecordedContext, renderedAnswer } from './helpers.js';

let mosquitto: MosquittoHandle;
let stack: DemoStack;
let browser: Browser;

beforeAll(async () => {
  mosquitto = await startMosquitto({ auth: 'anonymous', maxQos: 1 });
  stack = await startDemo({
    port: 0,
    tokensPerSecond: 100,
    firstTokenDelayMs: 200,
    env: { MQTT_URL: mosquitto.mqttUrl, MQTT_WS_URL: mosquitto.wsUrl },
    hmr: false,
    log: () => undefined,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await mosquitto?.stop();
});

test('MQTT_URL and MQTT_WS_URL: no embedded broker, shared subscriptions on Mosquitto, the answer streams through it', async () => {
  expect(stack.broker).toBe('external');
  expect(stack.embeddedBroker).toBeNull();
  expect(stack.browserAuth).toBe('anonymous');
  expect(stack.wsUrl).toBe(mosquitto.wsUrl);
  expect(stack.stats().worker?.mode).toBe('shared');
  expect(stack.stats().brokerClients).toBeNull();

  const context = await newRecordedContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(`${stack.url}?user=e2e-hosted&chat=h1`);
    const chat = chatPage(page);
    await chat.connected();
    await page.getByText(mosquitto.wsUrl).waitFor();
    await chat.ask('How does this work?');
    await chat.generation('done');
    expect(await chat.answerText()).toBe(renderedAnswer());
    expect(stack.stats().worker?.served).toBe(1);
  } finally {
    await context.close();
  }
});
