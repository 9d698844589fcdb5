/**
 * The peer pipeline's configuration (issue 18, `--phases peer`): Mosquitto's config file and the Node-RED flow
 * (MQTT in → a function that makes an InfluxDB point of the reading → node-red-contrib-influxdb 0.7.0 → InfluxDB 1.x),
 * in two configurations: `defaults` (one write per message, Mosquitto as installed) and `tuned` (a join node gathers
 * points into batches for the `influxdb batch` node; Mosquitto queues without limit: `max_queued_messages 0`).
 */

export type PeerConfig = 'defaults' | 'tuned';
export const PEER_CONFIGS: readonly PeerConfig[] = ['defaults', 'tuned'];

export interface FlowOptions {
  config: PeerConfig;
  mqttPort: number;
  influxHost: string;
  influxPort: number;
  database: string;
  /** Tuned: points per batch, and the longest a partial batch waits (seconds). */
  batchSize: number;
  batchTimeoutS: number;
}

export function mosquittoConf(port: number, config: PeerConfig): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(config === 'tuned' ? ['max_queued_messages 0'] : []),
  ].join('\n') + '\n';
}

/**
 * The body of the function node: a reading `{ts, seq, values}` on `city/{domain}/{type}/{id}` becomes one point
 * (the reading's values and seq as fields, device, domain and type as tags, the device's time in ms). `batch`:
 * in the `influxdb batch` node's form; else the `influxdb out` node's `[fields, tags]`.
 */
export function pointFunction(batch: boolean): string {
  return [
    "const [, domain, type, device] = msg.topic.split('/');",
    'const r = msg.payload;',
    "if (!r || typeof r !== 'object' || !r.values) return null;",
    'const fields = Object.assign({}, r.values, { seq: r.seq });',
    'const tags = { device, domain, type };',
    batch
      ? "msg.payload = { measurement: 'readings', fields, tags, timestamp: r.ts };"
      : 'fields.time = r.ts;\nmsg.payload = [fields, tags];',
    'return msg;',
  ].join('\n');
}

// Node ids: Node-RED takes any property whose value is a node's id for a reference to it (a name equal to an id
// reads as a node depending on itself), so ids are made unlike any name or setting.
const ID = { tab: 'cs0tab', broker: 'cs0broker', influx: 'cs0influx', in: 'cs0in', point: 'cs0point', join: 'cs0join', write: 'cs0write' };

/** The Node-RED flow file (an array of nodes) of one configuration. */
export function peerFlow(o: FlowOptions): Array<Record<string, unknown>> {
  const tuned = o.config === 'tuned';
  const tab = ID.tab;
  const sink = tuned
    ? { id: ID.write, type: 'influxdb batch', z: tab, influxdb: ID.influx, precision: 'ms', retentionPolicy: '', name: 'batch write', wires: [] }
    : { id: ID.write, type: 'influxdb out', z: tab, influxdb: ID.influx, measurement: 'readings', precision: 'ms', retentionPolicy: '', name: 'write', wires: [] };
  return [
    { id: tab, type: 'tab', label: `citysense peer (${o.config})` },
    { id: ID.broker, type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(o.mqttPort), clientid: `citysense-peer-${o.config}`, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
    { id: ID.influx, type: 'influxdb', hostname: o.influxHost, port: String(o.influxPort), protocol: 'http', database: o.database, name: 'influxdb', usetls: false, influxdbVersion: '1.x' },
    { id: ID.in, type: 'mqtt in', z: tab, name: 'readings', topic: 'city/#', qos: '1', datatype: 'json', broker: ID.broker, nl: false, rap: false, inputs: 0, wires: [[ID.point]] },
    { id: ID.point, type: 'function', z: tab, name: 'point', func: pointFunction(tuned), outputs: 1, wires: [[tuned ? ID.join : ID.write]] },
    ...(tuned
      ? [{ id: ID.join, type: 'join', z: tab, name: 'batch', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: String(o.batchTimeoutS), count: String(o.batchSize), reduceRight: false, wires: [[ID.write]] }]
      : []),
    sink,
  ];
}

/** Node-RED's settings file: the flow file, no editor or credentials to protect, logging at info (the broker connection is seen there). */
export function nodeRedSettings(port: number): string {
  return `module.exports = ${JSON.stringify({
    uiPort: port, uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false }, telemetry: { enabled: false }, externalModules: { autoInstall: false },
  }, null, 2)};\n`;
}
