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

const TAIL_CHARS = 500;

export const commandFaultParams = z
  .strictObject({
    run: argv,
    /** Run when the fault is reverted (after the read-back), also when the run was interrupted. */
    undo: argv.optional(),
    ...commandOptions,
    timeoutMs: z.number().int().min(1).default(60_000),
    undoTimeoutMs: z.number().int().min(1).default(60_000),
  })
  .superRefine((v, c) => checkShell(['run', 'undo'], v, c));

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
