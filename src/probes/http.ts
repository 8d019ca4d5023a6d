import { z } from 'zod';
import type { Probe } from '../core/types.js';
import { httpStatus, keepAliveAgent } from './http-client.js';
import { resolveEndpoint, runOpenLoop } from './running-open-loop.js';

const params = z
  .strictObject({
    endpoint: z.string().default('http').describe("the target service's endpoint (port name)"),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']).default('GET').describe('HTTP method'),
    path: z.string().startsWith('/').default('/').describe('path and query of the request'),
    expectStatus: z.number().int().default(200).describe('the status of a successful request'),
    body: z.string().optional().describe('request body'),
  })
  .meta({
    description:
      'HTTP requests at a fixed rate, open loop; a response with another status than expectStatus is a failure, no answer within the timeout is unknown.',
    examples: [
      { name: 'api', target: { service: 'api' }, path: '/health', interval: '50ms', timeout: '500ms' },
    ],
  });

export const httpProbe: Probe<z.infer<typeof params>> = {
  params,
  async start(ctx, p, common) {
    const agent = keepAliveAgent();
    // The endpoint is resolved per request: the service may move (failover, restart on a new port).
    return runOpenLoop(
      ctx,
      'http',
      common,
      async (signal) => {
        const { endpoint: ep } = await resolveEndpoint(ctx, common.target, p.endpoint, signal);
        const status = await httpStatus(agent, {
          host: ep.host,
          port: ep.port,
          method: p.method,
          path: p.path,
          body: p.body,
          signal,
        });
        if (status !== p.expectStatus) throw new Error(`HTTP ${status}, expected ${p.expectStatus}`);
        return undefined;
      },
      { close: async () => agent.destroy() },
    );
  },
};
