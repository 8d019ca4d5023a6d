import { basename } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { loadCheckedScenario } from './check-environment.js';
import { loadEnvironmentFile, loadTargetsFile } from './load.js';

/**
 * Validate a scenario, environment.yaml or targets.yaml by its name; returns a one-line verdict.
 * A scenario is loaded exactly as `run` loads it (loadCheckedScenario), environment checks included.
 */
export async function validateFile(file: string): Promise<string> {
  const name = basename(file);
  if (name === 'environment.yaml') {
    const spec = loadEnvironmentFile(file);
    return `${file}: valid environment (${Object.keys(spec.services).length} service(s))`;
  }
  if (name === 'targets.yaml') {
    return `${file}: valid targets (${loadTargetsFile(file).length})`;
  }
  if (!/\.ya?ml$/.test(name)) {
    throw new HarnessError(
      'INVALID_INPUT',
      `${file}: expected a .yaml scenario, environment.yaml or targets.yaml`,
    );
  }
  const sc = await loadCheckedScenario(file.includes('/') ? file : `./${file}`);
  return `${file}: valid scenario (${sc.iterations.length} iteration(s), ${sc.targets.length} target(s), environment ${sc.envName})`;
}
