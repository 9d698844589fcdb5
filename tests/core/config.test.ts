import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    ['ALERT_SWEEP_SCHEDULE', 'every minute'],
  ])('refuses a malformed %s and names it', (variable, value) => {
    const run = () => loadConfig({ [variable]: value }, emptyDir());
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(new RegExp(`^${variable}:`));
  });

  it('needs all three TLS settings together', () => {
    expect(() => loadConfig({ MQTTS_PORT: '8883' }, emptyDir())).toThrow(/TLS_CERT/);
  });

  it('reads .env, and the environment wins over it', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'MQTT_PORT=1999\nHTTP_PORT=8999\nINFLUX_URL=http://127.0.0.1:8086/\nINFLUX_BUCKET=city/autogen\n');
    const c = loadConfig({ HTTP_PORT: '0' }, dir);
    expect(c.mqttPort).toBe(1999);
    expect(c.httpPort).toBe(0);
    expect(c.influx).toEqual({ url: 'http://127.0.0.1:8086', token: '', org: '', bucket: 'city/autogen' });
  });

  it('names a catalog file that does not exist', () => {
    expect(() => loadConfig({ CATALOG_FILE: 'nope.json' }, emptyDir())).toThrow(/^CATALOG_FILE: file not found/);
  });
});
