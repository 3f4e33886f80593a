import type { ApprovalDecision } from '../../chat/tools/tool-loop.ts';

/**
 * Tool calls waiting for the user's answer, on this server. The answer's loop waits here; the
 * approval route (POST only) settles the wait. Stop settles it too, as a denial, through the signal.
 */
export class ToolApprovals {
  private readonly waiting = new Map<string, (decision: ApprovalDecision) => void>();

  private static key(messageId: string, callId: string): string {
    return `${messageId}\u0000${callId}`;
  }

  wait(messageId: string, callId: string, signal: AbortSignal): Promise<ApprovalDecision> {
    const key = ToolApprovals.key(messageId, callId);
    return new Promise((resolve) => {
      const settle = (decision: ApprovalDecision) => {
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(key);
        resolve(decision);
      };
      const onAbort = () => settle('deny');
      if (signal.aborted) return settle('deny');
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(key, settle);
    });
  }

  /** Answers a waiting call; false when none waits (answered already, stopped, or on another server). */
  answer(messageId: string, callId: string, decision: ApprovalDecision): boolean {
    const settle = this.waiting.get(ToolApprovals.key(messageId, callId));
    if (!settle) return false;
    settle(decision);
    return true;
  }
}
