import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { WebSocketServer } from 'ws';
import { WebSocketDuplex } from './ws-stream.js';

export type Transport = 'tcp' | 'tls' | 'ws';
/** Takes a new connection's byte stream (and, for WebSocket, the upgrade request). */
export type Accept = (conn: Duplex, transport: Transport, remote: string | undefined, req?: IncomingMessage) => void;

/** A bound listener. */
export interface Listener {
  port: number;
  /** Stops accepting now; resolves once its last connection is gone. */
  close(): Promise<void>;
  /** Destroys the sockets still open, TLS handshakes included (they would hold close() for up to 2 minutes). */
  destroyConnections(): void;
}

function listen(server: Server, host: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      let closed: Promise<void> | undefined;
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => (closed ??= new Promise<void>((r) => server.close(() => r()))),
        destroyConnections: () => {
          for (const s of sockets) s.destroy();
        },
      });
    });
  });
}

/** MQTT over TCP. */
export function listenTcp(host: string, port: number, accept: Accept): Promise<Listener> {
  const server = createNetServer({ noDelay: true }, (socket: Socket) => accept(socket, 'tcp', socket.remoteAddress));
  return listen(server, host, port);
}

// TLS_CERT / TLS_KEY are file paths (core/config resolves them); PEM text is taken as it is.
async function pem(value: string): Promise<string | Buffer> {
  return value.includes('-----BEGIN') ? value : readFile(value);
}

/** MQTT over TLS. */
export async function listenTls(host: string, port: number, tls: { cert: string; key: string }, accept: Accept, onTlsError: (err: Error) => void): Promise<Listener> {
  const server = createTlsServer({ cert: await pem(tls.cert), key: await pem(tls.key), noDelay: true }, (socket) =>
    accept(socket, 'tls', socket.remoteAddress),
  );
  server.on('tlsClientError', onTlsError);
  return listen(server, host, port);
}

/** The subprotocol to answer (MQTT-6.0.0-4: `mqtt`; `mqttv3.1` for MQTT 3.1 clients), or undefined when neither is offered. */
function pickSubprotocol(offered: Set<string>): string | undefined {
  if (offered.has('mqtt')) return 'mqtt';
  return offered.has('mqttv3.1') ? 'mqttv3.1' : undefined;
}

/**
 * MQTT over WebSocket at `path` of an HTTP server the app owns; other upgrade paths are left to others (Socket.IO).
 * `onRefused` hears of an upgrade without the mqtt subprotocol and of a connection closed for a text frame.
 */
export function attachWs(
  server: HttpServer, path: string, maxPayload: number, accepting: () => boolean, accept: Accept,
  onRefused: (why: string, remote: string | undefined) => void,
): () => void {
  // maxPayload bounds what ws buffers for one WebSocket message before the size guard sees it.
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, handleProtocols: (offered) => pickSubprotocol(offered) ?? false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (req.url ?? '').split('?', 1)[0];
    if (pathname !== path) return;
    if (!accepting()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const offered = new Set((req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()));
    if (!pickSubprotocol(offered)) {
      const why = 'MQTT over WebSocket needs the subprotocol mqtt (Sec-WebSocket-Protocol: mqtt)';
      onRefused(why, req.socket.remoteAddress);
      socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${why.length}\r\n\r\n${why}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = req.socket.remoteAddress;
      accept(new WebSocketDuplex(ws, () => onRefused('a text frame (MQTT-6.0.0-1): connection closed', remote)), 'ws', remote, req);
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    wss.close();
  };
}
