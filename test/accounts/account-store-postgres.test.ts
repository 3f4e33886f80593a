import { createTestSchema, openPostgresStore } from '../storage/test-postgres.ts';
import { describeAccountStore } from './account-store.case.ts';

const schema = createTestSchema();

describeAccountStore('PostgreSQL', {
  open: async () => openPostgresStore(await schema),
  cleanUp: async () => (await schema).drop(),
});
