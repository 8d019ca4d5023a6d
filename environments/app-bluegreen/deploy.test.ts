import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseDeployLine } from '../../src/injectors/deploy-output.js';
import { RUN_MARKER_ENV } from '../../src/providers/local/run-registry.js';
import { DEPLOY, type DeployPipeline } from '../../src/stacks/deploy.js';
import { haproxyProcesses, startBlueGreen, sweep } from './test-support.js';

const FAST = ['--health-timeout-ms', '2000', '--watch-ms', '2000'];

function runDeploy(ext: DeployPipeline, version: string, extra: string[] = []) {
  return new Promise<{ code: number | null; lines: ReturnType<typeof parseDeployLine>[] }>((resolve) => {
    const [cmd, ...args] = ext.command;
    execFile(
      cmd as string,
      [...args, '--version', version, ...FAST, ...extra],
      { env: { ...process.env, [RUN_MARKER_ENV]: ext.runId }, timeout: 30_000 },
      (err, stdout) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code, lines: stdout.split('\n').map(parseDeployLine).filter(Boolean) });
      },
    );
  });
}

describe('app-bluegreen deploy pipeline (real HAProxy, real processes)', () => {
  it('rolls back every bad version, ships the good one, and leaves nothing running', async () => {
    const stack = await startBlueGreen();
    try {
      const ext = stack.env.extensions.get(DEPLOY)!;
      expect(await ext.liveVersion()).toEqual({ slot: 'blue', version: 'good' });
      const reasons: Record<string, string> = {
        'crash-on-boot': 'exited',
        'fails-health': 'not healthy',
        'errors-after-switch': 'error rate',
        slow: 'p95',
      };
      for (const [version, reason] of Object.entries(reasons)) {
        const { code, lines } = await runDeploy(ext, version);
        expect(code, version).toBe(1);
        const result = lines.find((l) => l?.type === 'result');
        expect(result, version).toMatchObject({ outcome: 'rolled-back' });
        expect(result?.detail, version).toContain(reason);
        expect(lines.some((l) => l?.type === 'step' && l.name === 'rollback' && l.status === 'ok')).toBe(
          true,
        );
        expect(await ext.liveVersion(), version).toEqual({ slot: 'blue', version: 'good' });
        expect(stack.env.services.get('green')?.running(), version).toBe(false);
      }
      const good = await runDeploy(ext, 'good');
      expect(good.code).toBe(0);
      expect(await ext.liveVersion()).toEqual({ slot: 'green', version: 'good' });
      // Blue stays up, idle, as the instant rollback target.
      expect(stack.env.services.get('blue')?.running()).toBe(true);
      expect(await stack.env.services.get('blue')?.role()).toBe('idle');
    } finally {
      await stack[Symbol.asyncDispose]();
      expect(stack.leftovers()).toEqual([]);
      expect(haproxyProcesses(stack.workDir)).toEqual([]);
      await sweep(stack.runId);
    }
  });

  it('with --no-rollback leaves the bad version live (exit 2) until restore() moves traffic back', async () => {
    const stack = await startBlueGreen();
    try {
      const ext = stack.env.extensions.get(DEPLOY)!;
      const { code, lines } = await runDeploy(ext, 'errors-after-switch', ['--no-rollback']);
      expect(code).toBe(2);
      expect(lines.find((l) => l?.type === 'result')).toMatchObject({ outcome: 'failed' });
      expect(await ext.liveVersion()).toEqual({ slot: 'green', version: 'errors-after-switch' });
      await ext.restore('blue');
      expect(await ext.liveVersion()).toEqual({ slot: 'blue', version: 'good' });
      expect(stack.env.services.get('green')?.running()).toBe(false);
    } finally {
      await stack[Symbol.asyncDispose]();
      expect(stack.leftovers()).toEqual([]);
      await sweep(stack.runId);
    }
  });
});
