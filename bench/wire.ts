/**
 * Just enough MQTT 3.1.1 to drive a broker from raw sockets: CONNECT, QoS 1 PUBLISH, PINGREQ, DISCONNECT out;
 * CONNACK, PUBACK, PINGRESP in. Hand-written because the load generator must not be the bottleneck
 * (TOOLCHAIN.md: one mqtt.js process tops out near 60–70k QoS 1 messages/s; raw packets reached ~100k/s).
 */

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Bytes of the MQTT variable-length "remaining length" field. */
function lengthBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeLength(buf: Buffer, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

function writeString(buf: Buffer, at: number, s: Buffer): number {
  buf.writeUInt16BE(s.length, at);
  s.copy(buf, at + 2);
  return at + 2 + s.length;
}

/** A CONNECT with clean session, keep-alive in seconds and, when given, username and password. */
export function encodeConnect(clientId: string, keepaliveS: number, username?: string, password?: string): Buffer {
  const id = Buffer.from(clientId);
  const user = username === undefined ? undefined : Buffer.from(username);
  const pass = password === undefined ? undefined : Buffer.from(password);
  const remaining = 10 + 2 + id.length + (user ? 2 + user.length : 0) + (pass ? 2 + pass.length : 0);
  const buf = Buffer.allocUnsafe(1 + lengthBytes(remaining) + remaining);
  buf[0] = 0x10;
  let at = writeLength(buf, 1, remaining);
  at = writeString(buf, at, Buffer.from('MQTT'));
  buf[at++] = 4; // protocol level 3.1.1
  buf[at++] = 0x02 | (user ? 0x80 : 0) | (pass ? 0x40 : 0);
  buf.writeUInt16BE(keepaliveS, at);
  at = writeString(buf, at + 2, id);
  if (user) at = writeString(buf, at, user);
  if (pass) writeString(buf, at, pass);
  return buf;
}

/** A QoS 1 PUBLISH of `payload` (a string, written as UTF-8) on a pre-encoded topic. */
export function encodePublishQos1(topic: Buffer, packetId: number, payload: string): Buffer {
  const payloadLen = Buffer.byteLength(payload);
  const remaining = 2 + topic.length + 2 + payloadLen;
  const head = 1 + lengthBytes(remaining);
  const buf = Buffer.allocUnsafe(head + remaining);
  buf[0] = 0x32;
  let at = writeLength(buf, 1, remaining);
  at = writeString(buf, at, topic);
  buf.writeUInt16BE(packetId, at);
  buf.write(payload, at + 2, payloadLen, 'utf8');
  return buf;
}

/** What the broker sent, as far as a publishing-only client cares. */
export interface Inbound {
  onConnack(returnCode: number): void;
  onPuback(packetId: number): void;
  /** Anything else (PINGRESP, or a packet this client never expects). */
  onOther(type: number): void;
}

/** Splits a byte stream into packets across chunk boundaries and reports the ones a publisher needs. */
export class PacketReader {
  private rest: Buffer | undefined;

  constructor(private readonly into: Inbound) {}

  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let i = 0;
    const n = buf.length;
    while (i < n) {
      // Fixed header: type byte, then 1–4 length bytes.
      let len = 0;
      let mult = 1;
      let j = i + 1;
      let complete = false;
      while (j < n && j < i + 5) {
        const b = buf[j++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || j + len > n) break;
      const type = buf[i]! >> 4;
      if (type === 4) this.into.onPuback(buf.readUInt16BE(j));
      else if (type === 2) this.into.onConnack(buf[j + 1]!);
      else this.into.onOther(type);
      i = j + len;
    }
    if (i < n) this.rest = Buffer.from(buf.subarray(i));
  }
}
