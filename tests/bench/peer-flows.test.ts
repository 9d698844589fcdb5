import { describe, expect, it } from '@jest/globals';
import { mosquittoConf, peerFlow, pointFunction } from '../../bench/peer/flows.js';

// The peer pipeline's configuration (`npm run bench -- --phases peer`). The phase itself installs Node-RED from the
// npm registry (about a minute) and runs for minutes, so the suite checks what it is built from: the flow of each
// configuration, the function that makes the points, and Mosquitto's settings.
const base = { mqttPort: 1884, influxHost: '127.0.0.1', influxPort: 8087, database: 'peer_db', batchSize: 500, batchTimeoutS: 0.2 };
const byType = (flow: Array<Record<string, unknown>>, type: string) => flow.find((n) => n.type === type)!;
const reading = { topic: 'city/safety/gas/gas-7', payload: { ts: 1_700_000_000_123, seq: 42, values: { co: 12, ch4: 3 } } };

describe('the peer pipeline (Mosquitto → Node-RED → InfluxDB)', () => {
  it('defaults: MQTT in (QoS 1, JSON) → a point per message → one InfluxDB write per message', () => {
    const flow = peerFlow({ ...base, config: 'defaults' });
    expect(flow.map((n) => n.type)).toEqual(['tab', 'mqtt-broker', 'influxdb', 'mqtt in', 'function', 'influxdb out']);
    const [input, fn, out] = ['mqtt in', 'function', 'influxdb out'].map((t) => byType(flow, t));
    expect(input).toMatchObject({ topic: 'city/#', qos: '1', datatype: 'json', broker: byType(flow, 'mqtt-broker').id, wires: [[fn!.id]] });
    expect(fn!.wires).toEqual([[out!.id]]);
    expect(out).toMatchObject({ influxdb: byType(flow, 'influxdb').id, measurement: 'readings', precision: 'ms' });
    expect(byType(flow, 'mqtt-broker')).toMatchObject({ broker: '127.0.0.1', port: '1884' });
    expect(byType(flow, 'influxdb')).toMatchObject({ hostname: '127.0.0.1', port: '8087', database: 'peer_db', influxdbVersion: '1.x' });
  });

  it('tuned: a join node gathers the points into batches for the influxdb batch node', () => {
    const flow = peerFlow({ ...base, config: 'tuned' });
    expect(flow.map((n) => n.type)).toEqual(['tab', 'mqtt-broker', 'influxdb', 'mqtt in', 'function', 'join', 'influxdb batch']);
    const [fn, join, out] = ['function', 'join', 'influxdb batch'].map((t) => byType(flow, t));
    expect(fn!.wires).toEqual([[join!.id]]);
    expect(join).toMatchObject({ mode: 'custom', build: 'array', count: '500', timeout: '0.2', wires: [[out!.id]] });
    expect(out).toMatchObject({ influxdb: byType(flow, 'influxdb').id, precision: 'ms' });
  });

  it('no property but a reference holds a node id (Node-RED would read it as a dependency: "circular config node")', () => {
    for (const config of ['defaults', 'tuned'] as const) {
      const flow = peerFlow({ ...base, config });
      const ids = new Set(flow.map((n) => n.id));
      for (const n of flow) {
        for (const [k, v] of Object.entries(n)) {
          if (!['id', 'z', 'wires', 'broker', 'influxdb'].includes(k)) expect([k, ids.has(v as string)]).toEqual([k, false]);
        }
      }
    }
  });

  it("the function node makes each node's point of a reading: values and seq as fields, device, domain and type as tags, the device's time", () => {
    const run = (batch: boolean) => new Function('msg', pointFunction(batch))(structuredClone(reading)) as { payload: unknown };
    expect(run(false).payload).toEqual([{ co: 12, ch4: 3, seq: 42, time: 1_700_000_000_123 }, { device: 'gas-7', domain: 'safety', type: 'gas' }]);
    expect(run(true).payload).toEqual({ measurement: 'readings', fields: { co: 12, ch4: 3, seq: 42 }, tags: { device: 'gas-7', domain: 'safety', type: 'gas' }, timestamp: 1_700_000_000_123 });
    expect(new Function('msg', pointFunction(false))({ topic: 'city/x/y/z', payload: 'not json' })).toBeNull();
  });

  it('Mosquitto on loopback without persistence; tuned queues without limit (max_queued_messages 0)', () => {
    expect(mosquittoConf(1884, 'defaults')).toContain('listener 1884 127.0.0.1\n');
    expect(mosquittoConf(1884, 'defaults')).not.toContain('max_queued_messages');
    expect(mosquittoConf(1884, 'tuned')).toContain('max_queued_messages 0\n');
  });
});
