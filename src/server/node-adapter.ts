/**
 * Serves a web-standard `(Request) => Promise<Response>` handler (the HTTP trigger, the
 * credentials endpoint) from Node's `http` server, for apps without a framework router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A web-standard handler, as `createChatRequestHandler` and `createCredentialsHandler` return. */
export type WebHandler = (request: Request) => Promise<Response>;

/** Largest request body read, bytes; larger bodies are answered 413 without buffering them. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Adapts a web handler to `node:http` (`(req, res) => void`); bodies over 1 MiB get 413 unread. */
export function toNodeHandler(handler: WebHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          res.writeHead(413).end();
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const headers = new Headers();
      for (const [key, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(key, value);
        else if (Array.isArray(value)) for (const item of value) headers.append(key, item);
      }
      const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
      const method = req.method ?? 'GET';
      const request = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks) });
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : 'internal error');
    });
  };
}
