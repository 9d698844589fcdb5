import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { REFUSAL_REASONS } from '../../src/core/index.js';

// The README is what an operator reads first: its list of refusal reasons must be the code's closed set.
describe('the README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('lists every refusal reason, and no other, where it explains refusals', () => {
    const at = readme.indexOf('The reasons (one closed set):');
    expect(at).toBeGreaterThan(0);
    const sentence = readme.slice(at, readme.indexOf('.', at + 30));
    const listed = [...sentence.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(listed).toEqual([...REFUSAL_REASONS]);
  });

  it('says a refused message is still acknowledged, and where the refusal shows', () => {
    expect(readme).toMatch(/refused whole[^]*still gets its PUBACK[^]*MQTT 3\.1\.1 has no negative\s+acknowledgement/);
    for (const where of ['GET /api/dead-letters', 'citysense_messages_refused_total{reason}', 'GET /api/stats']) expect(readme).toContain(where);
  });
});
