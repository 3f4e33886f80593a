import { createMemoryConversationStore } from './memory-conversation-store.ts';
import { describeConversationStore } from './conversation-store.case.ts';

describeConversationStore('memory', { open: async () => createMemoryConversationStore() });
