import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import { describeChatStoreConformance } from './conformance.js';

describeChatStoreConformance('memory', async ({ now }) => createMemoryChatStore({ now }));
