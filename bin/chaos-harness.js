#!/usr/bin/env node
// The chaos-harness command. The harness is TypeScript run through tsx's loader, registered here
// in this process, so the exit code and signals are the harness's own: Ctrl-C or SIGTERM ends
// with exit code 2 after teardown and reports, not before (as `npm run` does, see README).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
