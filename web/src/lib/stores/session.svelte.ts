import { ApiError } from '../services/api-error.ts';
import { apiClient } from '../services/api-client.ts';
import type { ServerStatus } from '../types/api.ts';

/** Whether the server answers and whether this browser must log in first. */
class SessionStore {
  status = $state.raw<ServerStatus | null>(null);
  needsLogin = $state(false);
  unreachable = $state(false);
  checking = $state(true);

  async check(): Promise<void> {
    this.checking = true;
    try {
      this.status = await apiClient.status();
      this.unreachable = false;
      if (this.status.authRequired) {
        // The status route is open; a protected one tells whether our session cookie is valid.
        await apiClient.listConversations().then(
          () => (this.needsLogin = false),
          (error: unknown) => this.noteError(error),
        );
      }
    } catch (error) {
      this.unreachable = !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
      this.noteError(error);
    } finally {
      this.checking = false;
    }
  }

  async login(key: string): Promise<void> {
    await apiClient.login(key);
    this.needsLogin = false;
  }

  async signIn(username: string, password: string): Promise<void> {
    await apiClient.signIn(username, password);
    this.needsLogin = false;
  }

  /**
   * Ends the session on the server, then reloads: the page then holds nothing of this account
   * (open chats, the list, settings) for whoever signs in next.
   */
  async signOut(): Promise<void> {
    await apiClient.logout();
    // Without the open conversation's id: the next account would only be told it does not exist.
    history.replaceState(null, '', location.pathname + location.search);
    location.reload();
  }

  /** Every store passes its API errors here, so any 401 brings the login form back. */
  noteError(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) this.needsLogin = true;
  }
}

export const session = new SessionStore();
