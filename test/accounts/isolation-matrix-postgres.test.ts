import { createTestSchema, openPostgresStore } from '../storage/test-postgres.ts';
import { describeIsolationMatrix } from './isolation-matrix.case.ts';

const schema = createTestSchema();

describeIsolationMatrix('PostgreSQL', {
  open: async () => openPostgresStore(await schema),
  cleanUp: async () => (await schema).drop(),
});
