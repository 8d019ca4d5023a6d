// A recovery of the user's own: their restore or rollback script, run once the fault is visible.
// Its duration is the recovery step (recovery-time), its output goes to a file in the run directory
// and its tail into the step's detail.

import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
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
import type { RecoveryAction, RecoveryStep } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';

const TAIL_CHARS = 300;

export const commandActionParams = withMsNames(
  z
    .strictObject({
      run: argv.describe('your restore or rollback: program and arguments'),
      name: z.string().min(1).default('command').describe("the step's name in the report"),
      ...commandOptions,
      timeout: positiveDuration.default(300_000).describe('then the command is stopped and the run is ERROR'),
    })
    .superRefine((v, c) => checkShell(['run'], v, c))
    .meta({
      description:
        'Your restore or rollback script, run once the fault is visible. Its duration is one recovery step (recovery-time); its output goes to recovery-command-N.log. A non-zero exit or a timeout ends the run ERROR (RECOVERY_FAILED).',
      examples: [
        {
          name: 'runbook',
          run: ['node', 'admin.mjs', `\${services.kv.ports.http}`, 'read-write'],
          timeout: '5m',
        },
      ],
    }),
  ['timeout'],
);

export type CommandActionParams = z.infer<typeof commandActionParams>;

export const commandAction: RecoveryAction<CommandActionParams> = {
  params: commandActionParams,
  async run(ctx, p) {
    const what = `recovery command ${p.name}`;
    const cmd = resolveCommand(ctx, what, p.run, p);
    const outputFile = freshOutputFile(ctx.runDir, 'recovery-command');
    const startMs = ctx.clock.now();
    const r = await hostCommandsOf(ctx, 'command').run(
      { name: what, ...cmd, timeoutMs: p.timeoutMs, outputFile },
      ctx.signal,
    );
    const endMs = ctx.clock.now();
    const exit = describeExit(r, p.timeoutMs);
    const tail = shortTail(r.tail, TAIL_CHARS);
    const step: RecoveryStep = { name: p.name, startMs, endMs, detail: `${exit}${tail ? `: ${tail}` : ''}` };
    if (r.timedOut || r.exitCode !== 0) {
      // A restore that did not complete measures nothing about the stack: the run ends ERROR.
      throw new HarnessError(
        'RECOVERY_FAILED',
        `${what}: \`${cmd.argv.join(' ')}\` ${exit} after ${Math.round(endMs - startMs)} ms; output (${outputFile}): ${tail || '(none)'}`,
      );
    }
    return {
      steps: [step],
      details: { argv: cmd.argv, exit, durationMs: Math.round(endMs - startMs), output: outputFile, tail },
    };
  },
};
