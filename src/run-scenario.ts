// The harness with its built-in parts: the lifecycle (src/core/run) gets the providers, the fault,
// probe and action registries and the report-directory claim from here, and from nowhere else.

import { resolve } from 'node:path';
import { builtinActions } from './actions/index.js';
import type { HistoryContext } from './core/relative-bound.js';
import type { RunReport } from './core/report-model.js';
import type { Kinds } from './core/run/deps.js';
import type { ProgressSink } from './core/run/progress.js';
import { runLifecycle } from './core/run/run.js';
import type { ProviderName } from './core/types.js';
import { builtinInjectors } from './injectors/index.js';
import { builtinProbes } from './probes/index.js';
import { builtinProviders } from './providers/index.js';
import { claimRunDir, defaultRunDir, newRunId } from './report/run-dir.js';
import type { LoadedScenario } from './scenario/load.js';

export const builtinKinds: Kinds = {
  injectors: builtinInjectors,
  probes: builtinProbes,
  actions: builtinActions,
};

export interface RunScenarioOptions {
  scenario: LoadedScenario;
  /** Report directory; default <runsDir>/<scenario>-<timestamp>-<run id>. */
  outDir?: string | undefined;
  /** Where default report directories go (default: runs/ in the working directory). */
  runsDir?: string | undefined;
  /** Overrides the scenario's repeat (when it uses faults + repeat). */
  repeat?: number | undefined;
  progress?: ProgressSink | undefined;
  /** Called once the run has an id and a directory, before anything of it starts (onRunStart). */
  onStart?: ((start: RunStart) => void) | undefined;
  /** Aborted on Ctrl-C / SIGTERM: the run stops, tears down and reports ERROR. */
  signal?: AbortSignal | undefined;
  /** Marks every process of the run (default: generated; env CHAOS_HARNESS_RUN_ID). Tests use it. */
  runId?: string | undefined;
  /** How the services run; default: the scenario's `provider`, else local. */
  provider?: ProviderName | undefined;
  /** Who runs it, for the report's facts (default: CHAOS_HARNESS_OPERATOR, else the OS user). */
  operator?: string | undefined;
  /** The fault, probe and action kinds to run with (default: the built-in registries). */
  kinds?: Partial<Kinds> | undefined;
  /** Earlier runs of the scenario (src/history RunHistoryFile.compare); none: no history section. */
  history?: HistoryContext | undefined;
}

export interface RunStart {
  runId: string;
  runDir: string;
  provider: ProviderName;
}

/** The provider a run of `scenario` uses: the one asked for, else the scenario's, else local. */
export function providerOf(scenario: LoadedScenario, asked?: ProviderName): ProviderName {
  return asked ?? scenario.spec.provider ?? 'local';
}

/** Run a scenario end to end. Never throws for failures of the run: they become an `error` report. */
export function runScenario(opts: RunScenarioOptions): Promise<RunReport> {
  const runId = opts.runId ?? process.env.CHAOS_HARNESS_RUN_ID ?? newRunId();
  const runDir = opts.outDir
    ? resolve(opts.outDir)
    : defaultRunDir(opts.runsDir ?? 'runs', opts.scenario.name, runId);
  opts.onStart?.({ runId, runDir, provider: providerOf(opts.scenario, opts.provider) });
  return runLifecycle(
    {
      scenario: opts.scenario,
      runDir,
      runId,
      repeat: opts.repeat,
      progress: opts.progress,
      signal: opts.signal,
      provider: opts.provider,
      operator: opts.operator,
      history: opts.history,
    },
    { providers: builtinProviders, kinds: { ...builtinKinds, ...opts.kinds }, claimRunDir },
  );
}
