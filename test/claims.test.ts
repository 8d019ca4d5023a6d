// Every target the project ships cites docs/claims.md by an anchor that exists, so a reader of a
// report can follow its source in any clone; and no built-in target is left without a citation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../src/scenario/load.js';

const CITATION = /docs\/claims\.md#(claim-\d+)/g;

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => join(PROJECT_ROOT, dir, f))
    .filter((f) => statSync(f).isFile() && keep(f));
}

const anchors = new Set(
  [
    ...readFileSync(join(PROJECT_ROOT, 'docs', 'claims.md'), 'utf8').matchAll(/<a id="(claim-\d+)"><\/a>/g),
  ].map((m) => m[1]),
);
const citing = [
  ...filesUnder('scenarios', (f) => f.endsWith('.yaml')),
  ...filesUnder('environments', (f) => /\.(ya?ml|md)$/.test(f)),
  join(PROJECT_ROOT, 'README.md'),
];

describe('docs/claims.md', () => {
  it('has one anchor per row, claim-1 to claim-N', () => {
    expect(anchors.size).toBeGreaterThan(0);
    expect([...anchors]).toEqual([...anchors].map((_, i) => `claim-${i + 1}`));
  });

  it('has an anchor for every claim cited in scenarios/, environments/ and the README', () => {
    const dangling = citing.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(CITATION)]
        .filter((m) => !anchors.has(m[1] as string))
        .map((m) => `${relative(PROJECT_ROOT, f)}: ${m[0]} (docs/claims.md has ${[...anchors].join(', ')})`),
    );
    expect(dangling).toEqual([]);
  });

  it('is cited by the source of every built-in target', () => {
    const files = [
      ...filesUnder('scenarios', (f) => f.endsWith('.yaml')),
      ...filesUnder('environments', (f) => f.endsWith('targets.yaml')),
    ];
    const uncited = files.flatMap((f) => {
      const doc = parse(readFileSync(f, 'utf8')) as {
        targets?: { metric: string; source?: string }[];
      } | null;
      return (doc?.targets ?? [])
        .filter((t) => !/^docs\/claims\.md#claim-\d+[: ]/.test(t.source ?? ''))
        .map((t) => `${relative(PROJECT_ROOT, f)}: ${t.metric}: "${t.source}"`);
    });
    expect(uncited).toEqual([]);
  });

  it('is linked from the README where it is, not outside the repository', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(readme).not.toContain('../shared/claims.md');
    expect(readme).toContain('](docs/claims.md)');
  });
});
