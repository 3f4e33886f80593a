/**
 * Which conversation is open, kept in the URL hash (`#/c/<id>`) so that a reload or a shared tab
 * returns to it, and so the server needs no history fallback for client-side routes.
 */
function conversationIdFromHash(): string | null {
  const match = /^#\/c\/([^/?#]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

class RouteStore {
  conversationId = $state<string | null>(conversationIdFromHash());

  constructor() {
    window.addEventListener('hashchange', () => {
      this.conversationId = conversationIdFromHash();
    });
  }

  open(conversationId: string | null): void {
    this.conversationId = conversationId;
    const hash = conversationId ? `#/c/${encodeURIComponent(conversationId)}` : '';
    if (location.hash !== hash) history.pushState(null, '', hash || location.pathname + location.search);
  }
}

export const route = new RouteStore();
