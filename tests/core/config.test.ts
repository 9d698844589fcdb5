import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/core/index.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'citysense-config-'));

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({}, emptyDir());
    expect(c).toMatchObject({ mqttPort: 1883, httpPort: 8080, host: '0.0.0.0', allowAnonymous: false, spoolMaxBytes: 1024 * 1024 * 1024, logLevel: 'info' });
    expect(c.influx).toBeUndefined();
    expect(c.retentionMs).toBe(30 * 86_400_000);
    expect(c.alertStaleGraceMs).toBe(30_000);
    expect(c.alertSweepSchedule).toBe('*/10 * * * * *');
    expect(c.mqttKeepaliveLimitS).toBe(3600);
    expect(c.mqttIdleTimeoutMs).toBe(90 * 60_000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['MQTT_PORT', 'abc'],
    ['HTTP_PORT', '70000'],
    ['INFLUX_URL', 'not a url'],
    ['MQTT_ALLOW_ANONYMOUS', 'maybe'],
    ['RETENTION', '30 days'],
    ['SPOOL_MAX_MB', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_TOKEN', 'short'],
    ['ALERT_STALE_GRACE', 'soon'],
    ['MQTT_IDLE_TIMEOUT', 'a while'],
    ['ALERT_SWEEP_SCHEDULE', 'every minute'],
    ['MQTT_PORT', '0x4650'],
    ['MQTTS_PORT', '88830'],
    ['RETENTION', '0'],
    ['HOST', '999.1.1.1'],
    ['HOST', 'not a host'],
    ['INFLUX_BUCKET', 'a/b/c'],
    ['INFLUX_BUCKET', 'city/'],
    ['NATS_URL', 'http://127.0.0.1:4222'],
    ['NATS_URL', 'nats:4222'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', '127.0.0.1:6379'],
  ])('refuses a malformed %s and names it', (variable, value) => {
    const run = () => loadConfig({ [variable]: value }, emptyDir());
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(new RegExp(`^${variable}:`));
  });

  it('takes a Redis URL for the broker across nodes, in memory when unset; a bad one is refused without echoing it', () => {
    expect(loadConfig({}, emptyDir()).redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, emptyDir()).redisUrl).toBe('redis://127.0.0.1:6379');
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@redis.example.org:6380/2' }, emptyDir()).redisUrl).toBe('rediss://:pw@redis.example.org:6380/2');
    expect(() => loadConfig({ REDIS_URL: 'http://:hunter2@127.0.0.1:6379' }, emptyDir())).toThrow(/^REDIS_URL: a Redis URL/);
    expect(() => loadConfig({ REDIS_URL: 'http://:hunter2@127.0.0.1:6379' }, emptyDir())).not.toThrow(/hunter2/);
  });

  it('takes MQTT_IDLE_TIMEOUT as a duration, 0 for never', () => {
    expect(loadConfig({ MQTT_IDLE_TIMEOUT: '10m' }, emptyDir()).mqttIdleTimeoutMs).toBe(600_000);
    expect(loadConfig({ MQTT_IDLE_TIMEOUT: '0' }, emptyDir()).mqttIdleTimeoutMs).toBe(0);
  });

  it('takes a NATS server URL for the event stream, off when unset', () => {
    expect(loadConfig({}, emptyDir()).natsUrl).toBeUndefined();
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' }, emptyDir()).natsUrl).toBe('nats://127.0.0.1:4222');
    expect(loadConfig({ NATS_URL: 'tls://user:pw@nats.example.org:4222' }, emptyDir()).natsUrl).toBe('tls://user:pw@nats.example.org:4222');
  });

  it('never repeats a secret it refuses', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-secret' }, emptyDir())).toThrow(/^ADMIN_TOKEN: must be at least 16 characters$/);
  });

  it('takes host names and addresses for HOST', () => {
    for (const host of ['127.0.0.1', '::', 'localhost', 'city-gw.example.org']) expect(loadConfig({ HOST: host }, emptyDir()).host).toBe(host);
  });

  it('names the TLS file at fault when it is no certificate, no key, a directory, or the wrong key', () => {
    const dir = emptyDir();
    // Two self-signed pairs, made here with the openssl CLI (Debian package openssl), as the broker's TLS test does.
    for (const name of ['a', 'b']) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
    }
    writeFileSync(join(dir, 'text.txt'), 'not PEM\n');
    mkdirSync(join(dir, 'folder'));
    const tls = (cert: string, key: string) => () => loadConfig({ MQTTS_PORT: '0', TLS_CERT: cert, TLS_KEY: key }, dir);
    expect(tls('a.pem', 'a.key')()).toMatchObject({ mqtts: { port: 0, cert: join(dir, 'a.pem'), key: join(dir, 'a.key') } });
    expect(tls('text.txt', 'a.key')).toThrow(/^TLS_CERT: .*text.txt is not a PEM certificate/);
    expect(tls('a.pem', 'text.txt')).toThrow(/^TLS_KEY: .*text.txt is not a PEM private key/);
    expect(tls('folder', 'a.key')).toThrow(/^TLS_CERT: cannot read .*folder/);
    expect(tls('a.pem', 'b.key')).toThrow(/^TLS_KEY: the key in .*b.key does not match the certificate in TLS_CERT/);
  });

  it('needs all three TLS settings together', () => {
    expect(() => loadConfig({ MQTTS_PORT: '8883' }, emptyDir())).toThrow(/TLS_CERT/);
  });

  it('lists what .env sets that citysense does not read, so that a typo is not silently ignored', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'MQTT_PROT=1999\nNODE_ENV=production\nHTTP_PORT=8999\n');
    expect(loadConfig({}, dir).unknownDotenvKeys).toEqual(['MQTT_PROT']);
    expect(loadConfig({}, emptyDir()).unknownDotenvKeys).toEqual([]);
  });

  it('reads .env, and the environment wins over it', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'MQTT_PORT=1999\nHTTP_PORT=8999\nINFLUX_URL=http://127.0.0.1:8086/\nINFLUX_BUCKET=city/autogen\n');
    const c = loadConfig({ HTTP_PORT: '0' }, dir);
    expect(c.mqttPort).toBe(1999);
    expect(c.httpPort).toBe(0);
    expect(c.influx).toEqual({ url: 'http://127.0.0.1:8086', token: '', org: '', bucket: 'city/autogen' });
  });

  it('refuses DATABASE_URL, from the environment or .env, rather than ignore it: it is not supported yet', () => {
    const url = 'postgres://citysense@db.example/citysense';
    expect(() => loadConfig({ DATABASE_URL: url }, emptyDir())).toThrow(/^DATABASE_URL: DATABASE_URL is not supported yet/);
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), `DATABASE_URL=${url}\n`);
    expect(() => loadConfig({}, dir)).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: '' }, emptyDir())).not.toThrow();
  });

  it('names a catalog file that does not exist', () => {
    expect(() => loadConfig({ CATALOG_FILE: 'nope.json' }, emptyDir())).toThrow(/^CATALOG_FILE: file not found/);
  });
});
