// The project's own documentation stands on its own in a clone: it links only to files in the repository, and
// the contract page names every refusal reason the code can give.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFUSAL_REASONS } from '../../src/core/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every file under `dir` (relative to the repository root) whose name passes `keep`. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  if (!existsSync(join(root, dir))) return out;
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(name)) out.push(path);
  }
  return out;
}

const markdown = [
  'README.md', 'BENCHMARKS.md', 'CHANGELOG.md',
  ...filesUnder('docs', (n) => n.endsWith('.md')),
  ...filesUnder('src', (n) => n.endsWith('.md')),
];

describe('documentation', () => {
  it('has the contract and the architecture under docs/', () => {
    expect(existsSync(join(root, 'docs/contract.md'))).toBe(true);
    expect(existsSync(join(root, 'docs/architecture.md'))).toBe(true);
  });

  it('points nowhere outside the repository (no ../shared) from the README, docs/ or src/', () => {
    const files = ['README.md', ...filesUnder('docs', () => true), ...filesUnder('src', () => true)];
    const offenders = files.filter((f) => readFileSync(join(root, f), 'utf8').includes('../shared'));
    expect(offenders).toEqual([]);
  });

  it('cites docs/, not the CONTRACT, DESIGN or TOOLCHAIN notes that a clone does not have, from src/', () => {
    const offenders = filesUnder('src', () => true).filter((f) => /\b(CONTRACT|DESIGN)(\.md)?\b|\b(TOOLCHAIN|STYLE)\.md\b/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('has relative links that all lead to a file of the repository', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      for (const [, target] of readFileSync(join(root, file), 'utf8').matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        const resolved = join(dirname(join(root, file)), target!);
        if (!existsSync(resolved)) broken.push(`${file} → ${target} (${relative(root, resolved)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names every refusal reason of the code in the contract', () => {
    const contract = readFileSync(join(root, 'docs/contract.md'), 'utf8');
    expect(REFUSAL_REASONS.filter((r) => !contract.includes(`| \`${r}\` |`))).toEqual([]);
  });
});
