import { createPgliteConversationStore } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { describeIsolationMatrix } from './isolation-matrix.case.ts';

describeIsolationMatrix('PGlite', { open: () => createPgliteConversationStore({ dataDir: 'memory://' }) });
