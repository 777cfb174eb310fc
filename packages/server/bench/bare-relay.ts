/**
 * The reference for bench:server: a bare `ws` relay with no storage and no auth.
 * A client says {type:"hello", id}; then {to, payload} frames are forwarded to `to`.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20 });
const peers = new Map<string, WebSocket>();
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as { type?: string; id?: string; to?: string; payload?: string; sent?: number };
    if (f.type === 'hello' && f.id) {
      peers.set(f.id, ws);
      ws.send('{"type":"ready"}');
      return;
    }
    peers.get(f.to ?? '')?.send(JSON.stringify({ type: 'envelope', payload: f.payload, sent: f.sent }));
  });
});
wss.on('listening', () => {
  const addr = wss.address();
  console.log(`bare relay listening on ${typeof addr === 'object' && addr ? addr.port : String(addr)}`);
});
