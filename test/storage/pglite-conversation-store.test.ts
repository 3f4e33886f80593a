import { createPgliteConversationStore } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { describeConversationStore } from './conversation-store.case.ts';

describeConversationStore('PGlite', { open: () => createPgliteConversationStore({ dataDir: 'memory://' }) });
