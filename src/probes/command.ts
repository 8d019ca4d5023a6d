// A check of the user's own, open loop: run a command every interval; exit 0 is ok, another exit
// code a failure, no answer within the probe's timeout unknown. Only a short tail of a failure's
// output is kept (in the operation's error), so a probe every 100 ms does not fill the disk.

import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import {
  argv,
  checkShell,
  commandOptions,
  describeExit,
  hostCommandsOf,
  resolveCommand,
  shortTail,
} from '../core/host-command.js';
import type { Probe, RunningProbe } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { runOpenLoop } from './running-open-loop.js';

const TAIL_CHARS = 200;

export const commandProbeParams = withMsNames(
  z
    .strictObject({
      command: argv.describe('the check: program and arguments, run once per operation'),
      ...commandOptions,
      killGrace: positiveDuration
        .default(500)
        .describe("after the probe's timeout: SIGTERM, then SIGKILL after this long"),
    })
    .superRefine((v, c) => checkShell(['command'], v, c))
    .meta({
      description:
        'A check of your own, open loop: runs a command every interval; exit 0 is ok, another exit code a failure (with the tail of its output as the error), no exit within the timeout unknown (and the command is stopped).',
      examples: [
        {
          name: 'health',
          interval: '200ms',
          timeout: '2s',
          command: ['node', 'admin.mjs', `\${services.kv.ports.http}`, 'health'],
        },
      ],
    }),
  ['killGrace'],
);

export type CommandProbeParams = z.infer<typeof commandProbeParams>;

export const commandProbe: Probe<CommandProbeParams> = {
  params: commandProbeParams,
  async start(ctx, p, common): Promise<RunningProbe> {
    const runner = hostCommandsOf(ctx, 'command');
    const what = `probe ${common.name}`;
    let broken: string | undefined;
    const probe = runOpenLoop(ctx, 'command', common, async (signal) => {
      let r: Awaited<ReturnType<typeof runner.run>>;
      try {
        const cmd = resolveCommand(ctx, what, p.command, p);
        r = await runner.run(
          { name: what, ...cmd, timeoutMs: common.timeoutMs, killGraceMs: p.killGraceMs, tailBytes: 1024 },
          signal,
        );
      } catch (err) {
        // A missing program or an unknown port fails every check for a reason that is not the stack's.
        if (err instanceof HarnessError && !signal.aborted) broken ??= err.message;
        throw err;
      }
      if (r.timedOut) return { outcome: 'unknown' };
      if (r.exitCode === 0) return undefined;
      const tail = shortTail(r.tail, TAIL_CHARS);
      throw new Error(`${describeExit(r, common.timeoutMs)}${tail ? `: ${tail}` : ''}`);
    });
    probe.failure = () => broken;
    return probe;
  },
};
