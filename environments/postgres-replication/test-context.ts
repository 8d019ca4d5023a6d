import { testContext as sharedTestContext, type TestContext } from '../../src/testing/test-context.js';

export type { TestContext };
export const testContext = (name = 'postgres-replication'): TestContext =>
  sharedTestContext(name, import.meta.dirname);
