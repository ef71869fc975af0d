/** Where the embedded broker listens. Set the variables to run several copies side by side. */
export const chatConfig = {
  host: '127.0.0.1',
  mqttPort: Number(process.env.MQTT_PORT ?? 1883),
  wsPort: Number(process.env.MQTT_WS_PORT ?? 9001),
  /** What the browser connects to: the broker's WebSocket listener. */
  get wssUrl(): string {
    return process.env.CHAT_WSS_URL ?? `ws://${this.host}:${this.wsPort}/mqtt`;
  },
};
