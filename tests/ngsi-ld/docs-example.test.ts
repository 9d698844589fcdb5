// The curl example of docs/ngsi-ld.md works as written (only the address and the token are this test's).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

/** The curl commands of the doc's Example section, each with its continuation lines joined. */
function exampleCommands(): string[] {
  const doc = readFileSync('docs/ngsi-ld.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Example'));
  const block = section.slice(section.indexOf('```sh') + 5, section.indexOf('```', section.indexOf('```sh') + 5));
  return block.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.startsWith('curl '));
}

describe('docs/ngsi-ld.md example', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const res = await t.api('POST', '/api/devices', { id: 'air-001', domain: 'safety', type: 'air', location: { lat: 38.48, lon: 106.23 } });
    expect(res.status).toBe(201);
    const client = await t.connect(res.body.credentials);
    await client.publishAsync('city/safety/air/air-001', JSON.stringify({ pm25: 12, pm10: 20, no2: 9 }), { qos: 1 });
    await eventually(async () => (await t.api('GET', '/api/devices/air-001')).body.latest?.pm25, 'the reading recorded');
  }, 30_000);
  afterAll(async () => t?.close());

  it('answers the two curl commands with the station and its pm25 mean', async () => {
    const commands = exampleCommands();
    expect(commands).toHaveLength(2);
    // Asynchronously: the server answering curl runs in this process.
    const run = async (cmd: string) => JSON.parse((await promisify(execFile)('bash', ['-c', cmd.replaceAll('localhost:8080', t.httpUrl.replace('http://', ''))], {
      env: { ...process.env, TOKEN: t.adminToken }, encoding: 'utf8', timeout: 20_000,
    })).stdout);
    const near = await run(commands[0]!);
    expect(near).toEqual([expect.objectContaining({ id: 'urn:ngsi-ld:AirQualityObserved:air-001', type: 'AirQualityObserved', pm25: 12 })]);
    const history = await run(commands[1]!);
    expect(history).toMatchObject({ id: 'urn:ngsi-ld:AirQualityObserved:air-001', pm25: { type: 'Property', unitCode: 'GQ', avg: [[12, expect.any(String), expect.any(String)]] } });
  });
});
