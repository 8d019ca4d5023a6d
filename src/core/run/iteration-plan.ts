// Which faults each iteration injects. `--repeat N` re-expands a faults + repeat scenario to N
// copies of its fault list; a scenario with its own `iterations:` list keeps it.

import type { LoadedScenario, ResolvedFault } from '../../scenario/load.js';

export interface IterationPlan {
  name?: string;
  faults: ResolvedFault[];
}

export function planIterations(sc: LoadedScenario, repeat: number | undefined): IterationPlan[] {
  const first = sc.iterations[0];
  if (!repeat || sc.spec.iterations || !first) return sc.iterations;
  return Array.from({ length: repeat }, () => first);
}
