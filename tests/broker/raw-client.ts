import type { Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { eventually, rawSocket, type TestDevice } from './fixture.js';

/** A hand-driven MQTT 3.1.1 client on a raw TCP socket: sends exactly the packets a test writes, records what comes back. */
export class RawClient {
  readonly received: Packet[] = [];
  private constructor(readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => this.received.push(p));
    socket.on('data', (b: Buffer) => parser.parse(b));
  }

  /** Opens a socket without sending anything. */
  static async open(port: number): Promise<RawClient> {
    return new RawClient(await rawSocket(port));
  }

  static async connect(port: number, d: TestDevice, clientId: string, clean: boolean): Promise<RawClient> {
    const c = await RawClient.open(port);
    c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 60, username: d.username, password: Buffer.from(d.password) });
    const connack = await c.next('connack');
    if (connack.cmd !== 'connack' || connack.returnCode !== 0) throw new Error(`CONNACK ${JSON.stringify(connack)}`);
    return c;
  }

  /** Writes packets in one write, so they reach the broker in one read. */
  send(...packets: Packet[]): void {
    this.socket.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p))));
  }

  /** Waits for the `n`th received packet of a kind (1-based) and returns it. */
  async next(cmd: Packet['cmd'], n = 1): Promise<Packet> {
    return eventually(() => this.received.filter((p) => p.cmd === cmd)[n - 1], `${cmd} #${n}`);
  }

  count(cmd: Packet['cmd'], messageId?: number): number {
    return this.received.filter((p) => p.cmd === cmd && (messageId === undefined || ('messageId' in p && p.messageId === messageId))).length;
  }

  /** Resolves when the broker has closed the connection. */
  closed(): Promise<void> {
    if (this.socket.destroyed || this.socket.readableEnded) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const gone = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.destroy();
    await gone;
  }
}
