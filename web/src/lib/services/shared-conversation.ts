import type { SharedConversation } from '../types/api.ts';
import { apiErrorFromResponse, unreachableError } from './api-error.ts';

/**
 * The token of the link this page was opened at: `…/share/TOKEN`. Read from the path, so the page
 * works under any prefix a reverse proxy adds.
 */
export function shareTokenFromLocation(location: Location): string {
  return decodeURIComponent(location.pathname.split('/').filter(Boolean).at(-1) ?? '');
}

/** The snapshot, from `../api/shared/TOKEN` relative to the page (it lives one folder down). */
export async function fetchSharedConversation(token: string): Promise<SharedConversation> {
  let response: Response;
  try {
    response = await fetch(new URL(`../api/shared/${encodeURIComponent(token)}`, location.href), { credentials: 'omit' });
  } catch (error) {
    throw unreachableError(error);
  }
  if (!response.ok) throw await apiErrorFromResponse(response);
  return (await response.json()) as SharedConversation;
}
