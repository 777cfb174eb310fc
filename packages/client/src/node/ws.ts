/** WebSocket factory for Node 20 (which has no global WebSocket): the `ws` package. */
import WebSocket from 'ws';
import type { MinimalWebSocket, WebSocketFactory } from '../transport/socket.ts';

export const nodeWebSocket: WebSocketFactory = (url) => new WebSocket(url, { maxPayload: 4 * 1024 * 1024 }) as unknown as MinimalWebSocket;
