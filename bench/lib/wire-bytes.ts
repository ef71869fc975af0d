/**
 * Counts bytes the client side of the wire reads, per server port. Every Node client socket
 * (fetch/undici, `ws`, MQTT.js over `ws` or TCP) is announced on the `net.client.socket`
 * diagnostics channel; we keep them and sum `bytesRead` of those connected to a port. This is
 * what a browser would download: HTTP headers, chunked framing, WebSocket frame headers, MQTT
 * headers, topics and payloads (not IP/TCP headers, which are the same for everyone).
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

interface Tracked {
  socket: Socket;
  port: number | undefined;
}

const tracked: Tracked[] = [];
let installed = false;

export function installWireCounter(): void {
  if (installed) return;
  installed = true;
  diagnostics.subscribe('net.client.socket', (message) => {
    const socket = (message as { socket: Socket }).socket;
    const entry: Tracked = { socket, port: undefined };
    tracked.push(entry);
    // remotePort is gone once a socket is destroyed: remember it on connect.
    socket.once('connect', () => (entry.port = socket.remotePort));
  });
}

/** Bytes read so far by client sockets connected to `port`. */
export function bytesReadFrom(port: number): number {
  let total = 0;
  for (const entry of tracked) if ((entry.port ?? entry.socket.remotePort) === port) total += entry.socket.bytesRead;
  return total;
}
