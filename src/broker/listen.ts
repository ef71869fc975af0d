/** Listening on a port, with "port taken" as a typed error a CLI can turn into one line. */
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';

/** A port is already taken. `what` names the listener (e.g. "MQTT", "WebSocket", "HTTP"). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly what: string,
    readonly port: number,
    readonly host: string,
  ) {
    super(`${what} port ${port} on ${host} is already in use.`);
  }
}

/** Resolves once `server` listens; rejects with {@link PortInUseError} when the port is taken. */
export function listen(server: NetServer | HttpServer, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(what, port, host) : error);
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
