// keepRepeatedFilters on a real mqtt-packet parser, wired as aedes wires it (one 'packet' listener): a SUBSCRIBE keeps
// its repeated filters through aedes' dedupe, and every other packet reaches aedes through that one listener alone.
// (The SUBACK codes themselves are tested end to end against the broker in conformance.test.ts.)
import { describe, expect, it } from '@jest/globals';
import type { Client } from 'aedes';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { keepRepeatedFilters } from '../../src/broker/protocol.js';

type AnyPacket = Packet & { subscriptions?: { topic: string; qos: number }[] };

/** A parser with aedes' listener (client.js: `_parser.on('packet', enqueue)`), after keepRepeatedFilters. */
function wired(strip?: '_parseSubscribe') {
  const parser = mqttPacket.parser({ protocolVersion: 4 }) as ReturnType<typeof mqttPacket.parser> & { _parseSubscribe?: unknown };
  if (strip) parser._parseSubscribe = undefined; // a parser without that step
  const seen: AnyPacket[] = [];
  parser.on('packet', (p: AnyPacket) => {
    // As aedes' handlers/subscribe.js `_dedupe` does, before answering.
    if (p.cmd === 'subscribe') p.subscriptions = p.subscriptions!.filter((s, i, all) => all.findIndex((o) => o.topic === s.topic) === i);
    seen.push(p);
  });
  keepRepeatedFilters({ _parser: parser } as unknown as Client);
  return { parser, seen };
}

const subscribe = (topics: string[]) =>
  mqttPacket.generate({ cmd: 'subscribe', messageId: 7, subscriptions: topics.map((topic) => ({ topic, qos: 1 })) } as Packet);
const publish = mqttPacket.generate({ cmd: 'publish', topic: 'city/safety/gas/g-1', payload: Buffer.from('{"co":1}'), qos: 1, messageId: 9, retain: false, dup: false } as Packet);

describe('keepRepeatedFilters', () => {
  it('keeps a SUBSCRIBE that repeats a filter as sent; one without repeats is deduped as aedes likes', () => {
    const { parser, seen } = wired();
    parser.parse(Buffer.concat([subscribe(['a', 'b', 'a']), subscribe(['a', 'b']), publish]));
    expect(seen.map((p) => p.cmd)).toEqual(['subscribe', 'subscribe', 'publish']);
    expect(seen[0]!.subscriptions!.map((s) => s.topic)).toEqual(['a', 'b', 'a']);
    expect(seen[1]!.subscriptions!.map((s) => s.topic)).toEqual(['a', 'b']);
  });

  it('adds no listener in front of aedes: a PUBLISH is emitted to aedes\' listener alone', () => {
    const { parser } = wired();
    expect(parser.listenerCount('packet')).toBe(1);
  });

  it('falls back to a listener in front of aedes on a parser without the SUBSCRIBE step', () => {
    const { parser, seen } = wired('_parseSubscribe');
    expect(parser.listenerCount('packet')).toBe(2);
    // This parser cannot parse a SUBSCRIBE any more: the listener alone is what is checked, on a packet as parsed.
    parser.emit('packet', { cmd: 'subscribe', subscriptions: [{ topic: 'a', qos: 1 }, { topic: 'a', qos: 0 }] });
    expect(seen[0]!.subscriptions).toHaveLength(2);
  });
});
