import { describeConversationStore } from './conversation-store.case.ts';
import { createTestSchema, openPostgresStore } from './test-postgres.ts';

const schema = createTestSchema();

describeConversationStore('PostgreSQL, two stores on one database', {
  open: async () => openPostgresStore(await schema),
  openAnother: async () => openPostgresStore(await schema),
  cleanUp: async () => (await schema).drop(),
});
