import { randomBytes } from 'node:crypto';
import { SHARE_TOKEN_BYTES, SHARE_TOKEN_PATTERN } from '../chat/shared-conversation.ts';

/** A fresh link secret; see SHARE_TOKEN_PATTERN. */
export function newShareToken(): string {
  return randomBytes(SHARE_TOKEN_BYTES).toString('base64url');
}

/** Whether `token` could name a share at all; anything else is not looked up. */
export function couldBeShareToken(token: string): boolean {
  return SHARE_TOKEN_PATTERN.test(token);
}
