import { join } from 'node:path';
import { HarnessError, ValidationError, type ValidationIssue } from '../core/errors.js';
import { PROVIDERS, type ProviderName, type StartedEnvironment } from '../core/types.js';
import { importEnvironmentModule } from '../scenario/check-environment.js';
import { isComposeEnvironment, loadComposeEnvironment } from '../scenario/compose-environment.js';
import { resolveEnvironmentOptions } from '../scenario/environment-options.js';
import { environmentKind, loadEnvironmentFile, parseWith } from '../scenario/load.js';
import { startComposeEnvironment } from './compose/compose-environment.js';
import { startYamlEnvironment } from './local/yaml-environment.js';
import type { EnvironmentStartContext } from './provider.js';

/** Refuses a provider the environment has no variant for (YAML environments run on both). */
export async function requireProvider(dir: string, name: string, provider: ProviderName): Promise<void> {
  const kind = environmentKind(dir);
  const compose = kind === 'yaml' && isComposeEnvironment(dir);
  if (provider === 'local' && !compose) return;
  const supported: readonly ProviderName[] = compose
    ? ['containers']
    : kind === 'yaml'
      ? PROVIDERS
      : kind === 'ts'
        ? ((await importEnvironmentModule(dir)).providers ?? ['local'])
        : [];
  if (!supported.includes(provider)) {
    throw new HarnessError(
      'INVALID_INPUT',
      `environment "${name}" cannot run on the ${provider} provider yet (it supports: ${supported.join(', ') || 'none'})`,
    );
  }
}

/** Start an environment folder with the provider in `ctx`. `scenarioFile` is named in option errors. */
export async function startEnvironment(
  ctx: EnvironmentStartContext,
  options: Record<string, unknown> | undefined,
  scenarioFile: string,
): Promise<StartedEnvironment> {
  const kind = environmentKind(ctx.dir);
  if (kind === 'ts') {
    const mod = await importEnvironmentModule(ctx.dir);
    const opts = mod.options
      ? parseWithPrefix(mod.options, options ?? {}, scenarioFile)
      : rejectOptions(options, scenarioFile, ctx.name);
    return mod.start(ctx, opts);
  }
  if (kind === 'yaml' && isComposeEnvironment(ctx.dir)) {
    rejectOptions(options, scenarioFile, ctx.name);
    return startComposeEnvironment(ctx, loadComposeEnvironment(join(ctx.dir, 'environment.yaml')));
  }
  if (kind === 'yaml') {
    const file = join(ctx.dir, 'environment.yaml');
    const spec = loadEnvironmentFile(file);
    const issues: ValidationIssue[] = [];
    const values = resolveEnvironmentOptions(spec.options, options, ctx.name, issues);
    if (issues.length) throw new ValidationError(scenarioFile, issues);
    return startYamlEnvironment(ctx, spec, file, values);
  }
  throw new HarnessError('UNKNOWN_ENVIRONMENT', `${ctx.dir} has neither environment.yaml nor environment.ts`);
}

function parseWithPrefix<T>(schema: Parameters<typeof parseWith<T>>[0], value: unknown, file: string): T {
  try {
    return parseWith(schema, value, file);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new ValidationError(
        file,
        err.issues.map((i) => ({ ...i, path: `environmentOptions${i.path ? `.${i.path}` : ''}` })),
      );
    }
    throw err;
  }
}

function rejectOptions(options: Record<string, unknown> | undefined, file: string, env: string): undefined {
  if (options && Object.keys(options).length > 0) {
    throw new ValidationError(file, [
      { path: 'environmentOptions', message: `environment "${env}" takes no options` },
    ]);
  }
  return undefined;
}
