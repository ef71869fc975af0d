/** What the demo server tells the page (served as the `virtual:demo-config` module). */
export interface DemoPageConfig {
  /** The broker's WebSocket URL for browsers. */
  wssUrl: string;
  /** The model's label, e.g. `Simulated model` or `OpenAI gpt-4.1-mini`. */
  model: string;
  simulated: boolean;
  /** The simulated model's rate, or null for a real model. */
  tokensPerSecond: number | null;
  broker: 'embedded' | 'external' | 'cloudsignal';
  browserAuth: 'jwt' | 'cloudsignal' | 'anonymous';
  /** The transport's `streamTimeout` in ms, or null for its default. */
  streamTimeout: number | null;
  /** Name of the demo session cookie holding the user id. */
  userCookie: string;
  /** Header carrying `?user=` to the auth endpoint and the HTTP trigger. */
  userHeader: string;
}
