import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** WebSocket close code for a text frame: "unsupported data" (RFC 6455 7.4.1). */
const UNSUPPORTED_DATA = 1003;

/**
 * MQTT over one WebSocket, as a byte stream for aedes. Why not ws' createWebSocketStream: it passes text frames on
 * as bytes (MQTT-6.0.0-1 has the server close the connection on one) and, having no `_writev`, sends every
 * chunk mqtt-packet writes as a WebSocket message of its own (a 4-byte CONNACK left as four). Here what is written
 * in one tick (the size guard corks its transport until the next) leaves as one binary message: a packet is never
 * split across messages, and a group commit's PUBACKs to one connection leave together.
 */
export class WebSocketDuplex extends Duplex {
  constructor(private readonly ws: WebSocket, onTextFrame: () => void) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        onTextFrame();
        ws.close(UNSUPPORTED_DATA, 'MQTT over WebSocket takes binary frames only');
        this.destroy(new Error('text frame on an MQTT WebSocket (MQTT-6.0.0-1)'));
        return;
      }
      if (!this.push(data)) ws.pause();
    });
    ws.once('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  /** One binary message; the callback once ws has handed it to the socket (backpressure for the writer). */
  private send(data: Buffer, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return cb(new Error('WebSocket is not open'));
    this.ws.send(data, { binary: true }, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A closing one is left to finish its close handshake (ws ends it after 30 s): its close frame says why.
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
    cb(err);
  }
}
