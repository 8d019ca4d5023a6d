import { connect } from 'node:net';
import { z } from 'zod';
import type { Probe } from '../core/types.js';
import { resolveEndpoint, runOpenLoop } from './running-open-loop.js';

const params = z
  .strictObject({
    endpoint: z.string().default('http').describe("the target service's endpoint (port name)"),
  })
  .meta({
    description: 'TCP connects at a fixed rate: "is anything accepting connections?"',
    examples: [{ name: 'port', target: { service: 'api' }, endpoint: 'http', interval: '100ms' }],
  });

export const tcpProbe: Probe<z.infer<typeof params>> = {
  params,
  async start(ctx, p, common) {
    return runOpenLoop(ctx, 'tcp', common, async (signal) => {
      const { endpoint: ep } = await resolveEndpoint(ctx, common.target, p.endpoint, signal);
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: ep.host, port: ep.port });
        const onAbort = () => {
          s.destroy();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        s.once('connect', () => {
          signal.removeEventListener('abort', onAbort);
          s.destroy();
          resolve();
        });
        s.once('error', (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        });
      });
      return undefined;
    });
  },
};
