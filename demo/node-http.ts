/** Small `node:http` helpers of the demo server: JSON answers, cookies, readable port errors. */
import type { Server, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A port the demo needs is taken. `hint` names the flag and variable that move it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Listens, turning "port taken" into a {@link PortInUseError}. */
export function listen(server: Server, port: number, host: string, what: string, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(`${what} port ${port} on ${host} is already in use.`, hint));
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
