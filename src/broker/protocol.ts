import type { Client, ConnectPacket } from 'aedes';

/*
 * MQTT 3.1.1 section 1.5.3: a UTF-8 string in a packet must be well-formed (MQTT-1.5.3-1) and must not hold U+0000
 * (MQTT-1.5.3-2); a receiver of either closes the connection. mqtt-packet decodes strings with Buffer.toString, which
 * turns ill-formed bytes (and encoded surrogates) into U+FFFD, so U+FFFD stands for "was not UTF-8". A well-formed
 * U+FFFD is taken for one too: no client id, device id or device topic has a use for it.
 */

/** Whether a decoded MQTT string was ill-formed UTF-8 or holds U+0000. */
export function illFormed(s: string | null | undefined): boolean {
  return typeof s === 'string' && (s.includes('\u0000') || s.includes('\uFFFD'));
}

/** Which string of a CONNECT breaks MQTT-1.5.3-1/-2 (client id, user name, will topic), or undefined. */
export function connectViolation(packet: ConnectPacket): string | undefined {
  if (illFormed(packet.clientId)) return 'client id';
  if (illFormed(packet.username)) return 'user name';
  if (packet.will && illFormed(packet.will.topic)) return 'will topic';
  return undefined;
}

interface SubscribePacketLike {
  cmd: string;
  subscriptions?: { topic: string }[];
}

/**
 * SUBACK answers every filter of a SUBSCRIBE, in order (MQTT-3.8.4-5); aedes 1.2 removes repeated filters first
 * (handlers/subscribe.js `_dedupe`, which assigns `packet.subscriptions`), so `[a, b, a]` got two return codes.
 * A SUBSCRIBE that repeats a filter keeps its list as sent: aedes then handles each entry as one subscribe
 * request, the later replacing the earlier (MQTT-3.8.4-3), and answers each. Why the parser: it is the one place
 * that sees the packet before aedes does. Its SUBSCRIBE step (mqtt-packet 9's `_parseSubscribe`) is wrapped, so
 * other packets pay nothing: a second 'packet' listener in front of aedes' own cost every PUBLISH an emit over a
 * copied listener array (about 70 ns a packet in a micro-benchmark here). A parser without that step gets the listener.
 */
export function keepRepeatedFilters(client: Client): void {
  const parser = (client as unknown as { _parser?: Parser })._parser;
  if (!parser) return;
  const parseSubscribe = parser._parseSubscribe;
  if (typeof parseSubscribe !== 'function') {
    parser.prependListener('packet', keepList);
    return;
  }
  parser._parseSubscribe = function (this: Parser) {
    const result = parseSubscribe.call(this);
    if (this.packet) keepList(this.packet);
    return result;
  };
}

interface Parser {
  packet?: SubscribePacketLike;
  _parseSubscribe?: (this: Parser) => unknown;
  prependListener(e: 'packet', f: (p: SubscribePacketLike) => void): void;
}

function keepList(packet: SubscribePacketLike): void {
  if (packet.cmd !== 'subscribe') return;
  const subs = packet.subscriptions;
  if (!subs || subs.length < 2 || new Set(subs.map((s) => s.topic)).size === subs.length) return;
  Object.defineProperty(packet, 'subscriptions', { get: () => subs, set: () => undefined, enumerable: true, configurable: true });
}
