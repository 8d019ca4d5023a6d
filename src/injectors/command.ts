// A fault of the user's own: a command (`run`) that breaks something, and optionally one (`undo`)
// that mends it when the fault is reverted. Their output goes to a file in the run directory and
// its tail into the fault's details, so the report shows what the command said.

import { z } from 'zod';
import {
  argv,
  checkShell,
  commandOptions,
  describeExit,
  freshOutputFile,
  hostCommandsOf,
  resolveCommand,
  shortTail,
} from '../core/host-command.js';
import type { HostCommandResult, Injector, RunContext } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';

const TAIL_CHARS = 500;

export const commandFaultParams = withMsNames(
  z
    .strictObject({
      run: argv.describe('the command that breaks something: program and arguments'),
      undo: argv
        .optional()
        .describe('run when the fault is reverted (after the read-back), also when the run was interrupted'),
      ...commandOptions,
      timeout: positiveDuration.default(60_000).describe('of run'),
      undoTimeout: positiveDuration.default(60_000).describe('of undo'),
    })
    .superRefine((v, c) => checkShell(['run', 'undo'], v, c))
    .meta({
      description:
        'A fault of your own: `run` breaks something, `undo` (optional) mends it when the fault is reverted. t_inject is when run exited 0; a non-zero exit or a timeout fails the injection. Their output goes to fault-command-run-N.log / fault-command-undo-N.log in the run directory.',
      examples: [
        {
          run: ['node', 'admin.mjs', `\${services.kv.ports.http}`, 'read-only'],
          undo: ['node', 'admin.mjs', `\${services.kv.ports.http}`, 'read-write'],
          timeout: '10s',
        },
      ],
    }),
  ['timeout', 'undoTimeout'],
);

export type CommandFaultParams = z.infer<typeof commandFaultParams>;

async function runStep(
  ctx: RunContext,
  p: CommandFaultParams,
  step: 'run' | 'undo',
  args: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ result: HostCommandResult; summary: Record<string, unknown>; said: string }> {
  const what = `command fault ${step}`;
  const outputFile = freshOutputFile(ctx.runDir, `fault-command-${step}`);
  const cmd = resolveCommand(ctx, what, args, p);
  const result = await hostCommandsOf(ctx, 'command').run(
    { name: what, ...cmd, timeoutMs, outputFile },
    signal,
  );
  const summary = {
    argv: cmd.argv,
    exit: describeExit(result, timeoutMs),
    durationMs: Math.round(result.durationMs),
    output: outputFile,
    tail: shortTail(result.tail, TAIL_CHARS),
  };
  const said = `\`${cmd.argv.join(' ')}\` ${summary.exit}; output (${outputFile}): ${summary.tail || '(none)'}`;
  return { result, summary, said };
}

const ok = (r: HostCommandResult) => !r.timedOut && r.exitCode === 0;

export const commandFault: Injector<CommandFaultParams> = {
  params: commandFaultParams,
  describe: (p) => `command ${p.run.join(' ')}`,
  async inject(ctx, p) {
    const run = await runStep(ctx, p, 'run', p.run, p.timeoutMs, ctx.signal);
    if (!ok(run.result)) {
      // The lifecycle makes this INJECTION_FAILED: the fault did not happen as declared.
      throw new Error(run.said);
    }
    const details: Record<string, unknown> = { run: run.summary };
    const { undo } = p;
    let undone = false;
    return {
      description: `ran ${run.said.split(';')[0]} (${run.summary.durationMs} ms)${undo ? `; undo on revert: \`${undo.join(' ')}\`` : ''}`,
      reversible: undo !== undefined,
      details,
      async [Symbol.asyncDispose]() {
        if (!undo || undone) return;
        undone = true;
        // Reverting is part of teardown: it runs even when the run was interrupted, within its timeout.
        const u = await runStep(
          ctx,
          p,
          'undo',
          undo,
          p.undoTimeoutMs,
          AbortSignal.timeout(p.undoTimeoutMs + 5000),
        );
        details.undo = u.summary;
        if (!ok(u.result)) {
          throw new Error(`command fault undo ${u.said}`);
        }
      },
    };
  },
};
