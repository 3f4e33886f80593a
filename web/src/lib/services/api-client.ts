import type {
  Conversation,
  ConversationSettings,
  ConversationSummary,
  ModelDescription,
  ServerStatus,
  ShareLink,
  StoredMessage,
} from '../types/api.ts';
import type { AccountListing } from '../../../../src/storage/account-store.ts';
import { apiErrorFromResponse, unreachableError } from './api-error.ts';

export interface ToolList {
  servers: Array<{ name: string; state: string; problem: string | null; tools: Array<{ name: string; offeredName: string; description: string | null; approval: string }> }>;
  maxSteps: number;
  allowed: boolean;
}

/** Stateless calls to the server's JSON app API; streams live in answer-stream.ts. */
async function request<Result>(path: string, init: RequestInit = {}): Promise<Result> {
  let response: Response;
  try {
    response = await fetch(`api/${path}`, {
      ...init,
      credentials: 'same-origin',
      headers: init.body ? { 'content-type': 'application/json', ...init.headers } : init.headers,
    });
  } catch (error) {
    throw unreachableError(error);
  }
  if (!response.ok) throw await apiErrorFromResponse(response);
  if (response.status === 204) return undefined as Result;
  return (await response.json()) as Result;
}

/** One row of `GET /api/admin/users`. */
export type AdminUser = AccountListing;

const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });

export const apiClient = {
  status: () => request<ServerStatus>('status'),
  login: (apiKey: string) => request<void>('login', json('POST', { apiKey })),
  /** `--auth accounts`: a user name and password buy the session cookie. */
  signIn: (username: string, password: string) => request<{ username: string; isAdmin: boolean }>('login', json('POST', { username, password })),
  logout: () => request<void>('logout', { method: 'POST' }),
  adminUsers: () => request<{ users: AdminUser[] }>('admin/users'),
  models: () => request<{ models: ModelDescription[]; defaultModelId: string }>('models'),

  listConversations(search = '') {
    const query = search ? `?search=${encodeURIComponent(search)}` : '';
    return request<{ conversations: ConversationSummary[] }>(`conversations${query}`);
  },
  createConversation: (input: { title?: string; settings?: ConversationSettings }) =>
    request<Conversation>('conversations', json('POST', input)),
  getConversation: (id: string) =>
    request<{ conversation: Conversation; messages: StoredMessage[] }>(`conversations/${encodeURIComponent(id)}`),
  updateConversation: (id: string, patch: { title?: string; settings?: ConversationSettings; activeLeafId?: string | null }) =>
    request<Conversation>(`conversations/${encodeURIComponent(id)}`, json('PATCH', patch)),
  deleteConversation: (id: string) => request<void>(`conversations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** Where the browser downloads an export file (the server names it): every conversation, or one. */
  exportUrl: (id?: string) => (id ? `api/conversations/export?id=${encodeURIComponent(id)}` : 'api/conversations/export'),
  markdownExportUrl: (id: string) => `api/conversations/${encodeURIComponent(id)}/export?format=markdown`,
  /** An export file's text, sent as it is: the server checks it whole and names each problem. */
  importConversations: (fileText: string) =>
    request<{ imported: unknown[] }>('conversations/import', { method: 'POST', body: fileText }),

  /** One message with its generation's exact prompt, which conversation reads leave out. */
  getMessage: (id: string) => request<StoredMessage>(`messages/${encodeURIComponent(id)}`),
  stopMessage: (id: string) => request<void>(`messages/${encodeURIComponent(id)}/stop`, { method: 'POST' }),
  deleteMessage: (id: string) => request<void>(`messages/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** The operator's MCP servers and their tools (empty without --mcp-config). */
  tools: () => request<ToolList>('tools'),
  /** The user's answer to a tool call awaiting approval: a POST, never a link. */
  answerToolCall: (messageId: string, callId: string, decision: 'allow-once' | 'always-allow' | 'deny') =>
    request<void>(`messages/${encodeURIComponent(messageId)}/tool-calls/${encodeURIComponent(callId)}/approval`, json('POST', { decision })),

  /** The conversation's share link, or null when it is not shared. */
  getShare: (id: string) => request<{ share: ShareLink | null }>(`conversations/${encodeURIComponent(id)}/share`),
  /** Shares the current branch as it is now, or refreshes the snapshot under the same link. */
  share: (id: string) => request<ShareLink>(`conversations/${encodeURIComponent(id)}/share`, { method: 'POST' }),
  unshare: (id: string) => request<void>(`conversations/${encodeURIComponent(id)}/share`, { method: 'DELETE' }),
};
