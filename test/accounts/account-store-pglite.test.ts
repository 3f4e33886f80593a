import { createPgliteConversationStore } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { describeAccountStore } from './account-store.case.ts';

describeAccountStore('PGlite', { open: () => createPgliteConversationStore({ dataDir: 'memory://' }) });
