// Options of an environment.yaml: declared with their defaults under `options:`, set by a
// scenario's `environmentOptions`, each keeping its default's type.

import type { ValidationIssue } from '../core/errors.js';
import { unknownFieldMessage } from './known-fields.js';

export type OptionValue = string | number | boolean;

/** The declared defaults with the scenario's values on top; problems go to `issues`. */
export function resolveEnvironmentOptions(
  declared: Readonly<Record<string, OptionValue>>,
  given: Readonly<Record<string, unknown>> | undefined,
  envName: string,
  issues: ValidationIssue[],
): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = { ...declared };
  const names = Object.keys(declared);
  for (const [k, v] of Object.entries(given ?? {})) {
    const path = `environmentOptions.${k}`;
    const def = declared[k];
    if (def === undefined) {
      issues.push({
        path,
        message:
          names.length === 0
            ? `environment "${envName}" takes no options (its environment.yaml declares none under "options:")`
            : unknownFieldMessage(k, names, `option of environment "${envName}"`),
      });
    } else if (typeof v !== typeof def) {
      issues.push({
        path,
        message: `expected a ${typeof def} like its default (${JSON.stringify(def)}); got ${JSON.stringify(v)}`,
      });
    } else {
      out[k] = v as OptionValue;
    }
  }
  return out;
}
