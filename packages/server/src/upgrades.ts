/**
 * Owns the HTTP server's upgrades: which WebSocket endpoint takes an upgrade request
 * for which path (`/v1/websocket`: messages/socket.ts; `/v1/websocket/unidentified`:
 * sealed/unidentified-socket.ts), and the 404 for any other path. One listener on
 * the server, so two endpoints never both answer one upgrade.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Takes an upgrade request for its path (the socket is a TCP socket: the server speaks no TLS itself). */
export type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export class Upgrades {
  private readonly endpoints = new Map<string, UpgradeHandler>();

  constructor(server: Server) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const handler = this.endpoints.get((req.url ?? '').split('?')[0]!);
      if (!handler) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      // The HTTP idle timeout does not apply to a WebSocket: its heartbeat takes over.
      (socket as Socket).setTimeout(0);
      handler(req, socket as Socket, head);
    });
  }

  /** Routes upgrades of `path` (exactly, query string aside) to `handler`. */
  add(path: string, handler: UpgradeHandler): void {
    if (this.endpoints.has(path)) throw new Error(`two WebSocket endpoints at ${path}`);
    this.endpoints.set(path, handler);
  }
}
