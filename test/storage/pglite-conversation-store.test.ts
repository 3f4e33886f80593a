import { openFreshPgliteStore } from './fresh-pglite.ts';
import { describeConversationStore } from './conversation-store.case.ts';

describeConversationStore('PGlite', { open: openFreshPgliteStore });
