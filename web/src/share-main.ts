import { mount } from 'svelte';
import SharedConversationPage from './lib/components/app/share/SharedConversationPage.svelte';
import './app.css';
import './markdown.css';

// The read-only page of a shared link (web/share/index.html): its own small entry, so it carries
// none of the chat page's stores, and nothing on it can write.
mount(SharedConversationPage, { target: document.getElementById('app')! });
