// The publish → PUBACK histogram: the hand-written BucketHistogram shows on /metrics exactly as a prom-client
// Histogram fed the same values, and the publish handler's wrapper times each QoS 1/2 publish to its group commit.
import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { BucketHistogram } from '../../src/app/observe/bucket-histogram.js';
import { timedPublishHandler } from '../../src/app/observe/publish.js';
import type { PublishHandler } from '../../src/broker/index.js';
import type { InboundMessage } from '../../src/core/index.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function message(qos: 0 | 1 | 2): InboundMessage {
  return { deviceId: 'd-1', domain: 'safety', type: 'gas', topic: 'city/safety/gas/d-1', payload: Buffer.from('{"co":1}'), qos, receivedAt: Date.now() };
}

/** The histogram's series from /metrics, by name and le. */
async function series(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const [name, value] = line.split(' ');
    out.set(name!, Number(value));
  }
  return out;
}

describe('BucketHistogram', () => {
  it('shows the same /metrics text and JSON as a prom-client Histogram given the same values, and resets like one', async () => {
    const mine = new Registry();
    const theirs = new Registry();
    const a = new BucketHistogram('citysense_test_seconds', 'a test histogram', BUCKETS, mine);
    const b = new Histogram({ name: 'citysense_test_seconds', help: 'a test histogram', buckets: BUCKETS, registers: [theirs] });
    // Bounds themselves (le is "at most"), between them, below the first, past the last, zero.
    const values = [0, 0.0001, 0.0005, 0.0007, 0.001, 0.003, 0.01, 0.02, 0.05, 0.3, 1, 2.5, 4.9, 5, 7.5, 120, ...BUCKETS.map((x) => x / 3)];
    expect(await mine.metrics()).toBe(await theirs.metrics()); // empty
    for (const v of values) {
      a.observe(v);
      b.observe(v);
    }
    expect(await mine.metrics()).toBe(await theirs.metrics());
    // As JSON (what getMetricsAsJSON is for): prom-client's values carry an `exemplar: undefined` of their own.
    const json = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON())) as unknown;
    expect(await json(mine)).toEqual(await json(theirs));
    mine.resetMetrics();
    theirs.resetMetrics();
    theirs.getSingleMetric('citysense_test_seconds')!.reset();
    b.zero({});
    expect(await mine.metrics()).toBe(await theirs.metrics());
  });

  it('refuses buckets that do not increase, and a second metric of its name on a registry', () => {
    const registry = new Registry();
    expect(() => new BucketHistogram('citysense_bad_seconds', 'x', [0.1, 0.1], registry)).toThrow(/buckets must increase/);
    new BucketHistogram('citysense_one_seconds', 'x', [0.1], registry);
    expect(() => new BucketHistogram('citysense_one_seconds', 'x', [0.1], registry)).toThrow(/already been registered/);
  });
});

describe('timedPublishHandler', () => {
  it('times each QoS 1/2 publish to its (group-commit) answer, dead-lettered included; not QoS 0, not a publish not taken', async () => {
    const registry = new Registry();
    const held: Array<() => void> = [];
    const answers: Array<[Error | undefined, boolean | undefined]> = [];
    const inner: PublishHandler = {
      handle(msg, done) {
        if (msg.payload.toString() === 'full') return done(new Error('spool full'));
        held.push(() => done(undefined, msg.payload.toString() === 'bad'));
      },
      refuse() {},
    };
    const timed = timedPublishHandler(inner, registry);
    const record = (err?: Error, refused?: boolean) => answers.push([err, refused]);
    for (let i = 0; i < 5; i++) timed.handle(message(1), record);
    timed.handle({ ...message(2), payload: Buffer.from('bad') }, record);
    timed.handle({ ...message(1), payload: Buffer.from('full') }, record);
    timed.handle(message(0), record);
    await sleep(40);
    // One commit answers everything it holds in one run.
    for (const answer of held.splice(0)) answer();
    expect(answers).toHaveLength(8);
    expect(answers.filter(([err]) => err)).toHaveLength(1);
    expect(answers.filter(([, refused]) => refused)).toHaveLength(1);
    let s = await series(registry);
    expect(s.get('citysense_mqtt_publish_ack_seconds_count')).toBe(6); // 5 QoS 1 + the QoS 2 dead letter
    expect(s.get('citysense_mqtt_publish_ack_seconds_bucket{le="0.025"}')).toBe(0); // each waited its 40 ms
    expect(s.get('citysense_mqtt_publish_ack_seconds_bucket{le="+Inf"}')).toBe(6);
    expect(s.get('citysense_mqtt_publish_ack_seconds_sum')).toBeGreaterThanOrEqual(6 * 0.035);

    // A second commit reads the clock afresh: a publish answered at once after a wait is not given the first's end.
    timed.handle(message(1), record);
    for (const answer of held.splice(0)) answer();
    s = await series(registry);
    expect(s.get('citysense_mqtt_publish_ack_seconds_count')).toBe(7);
    expect(s.get('citysense_mqtt_publish_ack_seconds_bucket{le="0.025"}')).toBe(1);
  });

  it('counts a publish answered within the run of an earlier answer as taking no time, never less', async () => {
    const registry = new Registry();
    const held: Array<() => void> = [];
    let answerAtOnce = false;
    const inner: PublishHandler = {
      handle(_msg, done) {
        if (answerAtOnce) done(undefined, true);
        else held.push(() => done());
      },
      refuse() {},
    };
    const timed = timedPublishHandler(inner, registry);
    timed.handle(message(1), () => {
      // As aedes does after a PUBACK: the next publish of the socket's buffer handled within the same run, here 30 ms on.
      const until = performance.now() + 30;
      while (performance.now() < until);
      answerAtOnce = true;
      timed.handle(message(1), () => undefined);
    });
    await sleep(20);
    held.splice(0)[0]!();
    const s = await series(registry);
    expect(s.get('citysense_mqtt_publish_ack_seconds_count')).toBe(2);
    expect(s.get('citysense_mqtt_publish_ack_seconds_bucket{le="0.0005"}')).toBe(1);
    expect(s.get('citysense_mqtt_publish_ack_seconds_sum')).toBeGreaterThanOrEqual(0.015);
    expect(s.get('citysense_mqtt_publish_ack_seconds_sum')).toBeLessThan(10);
  });
});
