import { Duplex } from 'node:stream';

/**
 * Why this is hand-written: aedes 1.2 and mqtt-packet 9 have no maximum packet size (the parser buffers
 * whatever remaining length a fixed header announces, up to 268 MB), aedes issue #831 is still open, and
 * no maintained npm package bounds MQTT frames on a stream. So this stage sits between the transport
 * (TCP, TLS, WebSocket stream) and `aedes.handle` and reads only the fixed headers as bytes pass.
 *
 * Hot path: chunks are passed on by reference (no copy); payload bytes are skipped arithmetically, only
 * the 2–5 header bytes of each packet are looked at. Writes go to the transport corked until the next tick,
 * so what one task writes to a connection (a packet in pieces, a group commit's PUBACKs) leaves together.
 */

/** Raised (as the stream's error) when a fixed header announces more than the limit. */
export class PacketTooLargeError extends Error {
  constructor(readonly announced: number, readonly limit: number) {
    super(`MQTT packet of ${announced} bytes announced, limit is ${limit}`);
    this.name = 'PacketTooLargeError';
  }
}

const EXPECT_TYPE = -1;
/** MQTT control packet type of PUBLISH (the high nibble of the first byte). */
export const PUBLISH = 3;

/** What is known of a packet refused for its size: nothing of its body is read beyond what came with the header. */
export interface OversizePacket {
  /** Fixed header included. */
  announced: number;
  /** MQTT control packet type (`PUBLISH` = 3). */
  type: number;
  /** A PUBLISH's topic when the bytes that came with the header hold all of it, else ''. */
  topic: string;
}

/** The topic at the start of a PUBLISH's variable header (2-byte length, then UTF-8), or '' when not all of it is there. */
function topicOf(variableHeader: Buffer): string {
  if (variableHeader.length < 2) return '';
  const end = 2 + variableHeader.readUInt16BE(0);
  return variableHeader.length >= end ? variableHeader.toString('utf8', 2, end) : '';
}

/** A duplex that forwards a transport both ways and destroys it when a packet header is too large. */
export class PacketSizeGuard extends Duplex {
  private readonly inner: Duplex;
  private readonly limit: number;
  private readonly onTooLarge: (packet: OversizePacket) => void;
  // Scanner state, carried across chunks: bytes of the current packet still to skip, or where we are in a header.
  private skip = 0;
  private lenBytes = EXPECT_TYPE;
  private len = 0;
  private mult = 1;
  private type = 0;
  /** Where, in the chunk that completed an oversize header, that header ended. */
  private headerEnd = 0;
  private pendingWrite: ((err?: Error | null) => void) | null = null;
  private corked = false;

  constructor(inner: Duplex, limit: number, onTooLarge: (packet: OversizePacket) => void) {
    super({ allowHalfOpen: false });
    this.inner = inner;
    this.limit = limit;
    this.onTooLarge = onTooLarge;
    inner.on('data', this.onData);
    inner.on('end', () => this.push(null));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.on('close', () => this.destroy());
    inner.on('drain', () => {
      const cb = this.pendingWrite;
      this.pendingWrite = null;
      cb?.();
    });
  }

  /** Bytes written and not yet sent: held here and in the transport's own buffer. */
  get buffered(): number {
    return this.writableLength + this.inner.writableLength;
  }

  private readonly onData = (chunk: Buffer): void => {
    const verdict = this.scan(chunk);
    if (verdict !== 0) {
      this.inner.off('data', this.onData);
      if (verdict > 0) {
        const rest = chunk.subarray(this.headerEnd);
        this.onTooLarge({ announced: verdict, type: this.type, topic: this.type === PUBLISH ? topicOf(rest) : '' });
        this.destroy(new PacketTooLargeError(verdict, this.limit));
      } else {
        this.destroy(new Error('malformed MQTT remaining length'));
      }
      return;
    }
    if (!this.push(chunk)) this.inner.pause();
  };

  /** 0 when every header in the chunk is within the limit; the announced size when one is not; -1 when malformed. */
  private scan(buf: Buffer): number {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        continue;
      }
      const b = buf[i++];
      if (this.lenBytes === EXPECT_TYPE) {
        this.type = b >> 4;
        this.lenBytes = 0;
        this.len = 0;
        this.mult = 1;
        continue;
      }
      this.len += (b & 0x7f) * this.mult;
      this.mult *= 128;
      this.lenBytes++;
      if (b & 0x80) {
        if (this.lenBytes === 4) return -1; // MQTT allows at most 4 length bytes
        continue;
      }
      const total = 1 + this.lenBytes + this.len;
      if (total > this.limit) {
        this.headerEnd = i;
        return total;
      }
      this.skip = this.len;
      this.lenBytes = EXPECT_TYPE;
    }
    return 0;
  }

  override _read(): void {
    if (this.inner.isPaused()) this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.corkUntilNextTick();
    if (this.inner.write(chunk)) cb();
    else this.pendingWrite = cb;
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.corkUntilNextTick();
    let ok = true;
    for (const c of chunks) ok = this.inner.write(c.chunk);
    if (ok) cb();
    else this.pendingWrite = cb;
  }

  /**
   * What one task writes to a connection leaves in one system call: a group commit acknowledges thousands of
   * publishes at once, tens per connection (Node's documented cork-until-nextTick pattern).
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.inner.cork();
    process.nextTick(this.releaseCork);
  }

  private readonly releaseCork = (): void => {
    this.corked = false;
    if (!this.inner.destroyed) this.inner.uncork();
  };

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.pendingWrite = null;
    this.inner.off('data', this.onData);
    if (!this.inner.destroyed) this.inner.destroy();
    cb(err);
  }
}
