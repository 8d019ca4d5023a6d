// Wall time of one scenario, bring-up to teardown, on the local provider and on the containers
// provider (images already built), in one run, alternating so machine load hits both alike.
// Issue target: containers at most 1.5 times local for postgres-primary-down.
//   node --import tsx bench/provider-wall-time.ts [scenario] [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderName } from '../src/core/types.js';
import { runScenario } from '../src/run-scenario.js';
import { loadScenario } from '../src/scenario/load.js';

const scenarioName = process.argv[2] ?? 'postgres-primary-down';
const rounds = Number(process.argv[3] ?? 2);
const TARGET_RATIO = 1.5;

interface Sample {
  provider: ProviderName;
  wallMs: number;
  verdict: string;
  bringUpMs: number | undefined;
  rtos: (number | null)[];
}

const samples: Sample[] = [];
const scenario = loadScenario(scenarioName);
const root = mkdtempSync(join(tmpdir(), 'bench-provider-'));
try {
  for (let r = 0; r < rounds; r++) {
    for (const provider of ['local', 'containers'] as const) {
      const t0 = performance.now();
      const report = await runScenario({ scenario, provider, outDir: join(root, `${provider}-${r}`) });
      const wallMs = performance.now() - t0;
      const s: Sample = {
        provider,
        wallMs,
        verdict: report.verdict,
        bringUpMs: report.environment.info.bringUpMs as number | undefined,
        rtos: report.iterations.map((it) => it.rtoMs),
      };
      samples.push(s);
      const rto = s.rtos.map((x) => (x === null ? '-' : `${(x / 1000).toFixed(2)} s`)).join(', ');
      console.log(
        `round ${r + 1} ${provider.padEnd(10)} ${(wallMs / 1000).toFixed(1)} s  ${report.verdict.toUpperCase()}  bring-up ${s.bringUpMs ?? '-'} ms  RTO ${rto}${report.error ? `  ${report.error.code}: ${report.error.message}` : ''}`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const local = median(samples.filter((s) => s.provider === 'local').map((s) => s.wallMs));
const containers = median(samples.filter((s) => s.provider === 'containers').map((s) => s.wallMs));
const ratio = containers / local;
console.log(
  `\n${scenarioName}: median wall time local ${(local / 1000).toFixed(1)} s, containers ${(containers / 1000).toFixed(1)} s, ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
);
