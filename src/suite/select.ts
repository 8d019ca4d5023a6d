// Which scenarios a suite runs: names, paths or globs (default: every file in scenarios/), those
// carrying every `--tag`, then this shard's share. Deterministic, so shards never overlap and
// their union is the whole selection.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { type LoadedScenario, loadScenario, PROJECT_ROOT } from '../scenario/load.js';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) {
    throw new HarnessError('INVALID_INPUT', `--shard: expected i/n with 1 ≤ i ≤ n (e.g. 2/3); got "${text}"`);
  }
  return { index, total };
}

const SCENARIOS_DIR = join(PROJECT_ROOT, 'scenarios');

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Scenario files for the given names, paths and globs (a glob matches names in scenarios/). */
export function scenarioFiles(refs: readonly string[], cwd = process.cwd()): string[] {
  const all = readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(SCENARIOS_DIR, f));
  if (refs.length === 0) return all;
  const out: string[] = [];
  for (const ref of refs) {
    if (/[*?]/.test(ref)) {
      const re = globToRegExp(ref.replace(/\.yaml$/, ''));
      const hits = all.filter((f) => re.test(basename(f, '.yaml')));
      if (hits.length === 0)
        throw new HarnessError('UNKNOWN_SCENARIO', `no scenario in scenarios/ matches "${ref}"`);
      out.push(...hits);
    } else if (ref.endsWith('.yaml') || ref.includes('/')) {
      const file = isAbsolute(ref) ? ref : resolve(cwd, ref);
      if (!existsSync(file) || !statSync(file).isFile())
        throw new HarnessError('FILE_NOT_FOUND', `no scenario file ${file}`);
      out.push(file);
    } else {
      const file = join(SCENARIOS_DIR, `${ref}.yaml`);
      if (!existsSync(file)) throw new HarnessError('UNKNOWN_SCENARIO', `no scenario "${ref}" in scenarios/`);
      out.push(file);
    }
  }
  return [...new Set(out)];
}

export interface Selection {
  /** Every scenario the names and tags select, in run order (by name). */
  selected: LoadedScenario[];
  /** This shard's share of `selected`. */
  mine: LoadedScenario[];
}

/** Loads (and so validates) every selected file; a tag filter keeps scenarios that carry every tag. */
export function selectScenarios(files: readonly string[], tags: readonly string[], shard?: Shard): Selection {
  const loaded = files.map((f) => loadScenario(f));
  const selected = loaded
    .filter((s) => tags.every((t) => s.spec.tags.includes(t)))
    .sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
  const mine = shard ? selected.filter((_, i) => i % shard.total === shard.index - 1) : selected;
  return { selected, mine };
}
