export type ShortcutAction = 'new-chat' | 'focus-prompt' | 'stop';

interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** Whether the key went to a text field (where "/" is just a character). */
  inTextField: boolean;
}

/**
 * The page's shortcuts, as in ChatGPT and chat-ui: Ctrl/⌘+Shift+O new chat, "/" or Shift+Esc
 * focuses the Prompt box, Esc stops the answer that is streaming.
 */
export function shortcutFor(press: KeyPress): ShortcutAction | null {
  const command = press.ctrlKey || press.metaKey;
  if (command && press.shiftKey && !press.altKey && press.key.toLowerCase() === 'o') return 'new-chat';
  if (press.key === 'Escape' && press.shiftKey) return 'focus-prompt';
  if (press.key === '/' && !command && !press.altKey && !press.inTextField) return 'focus-prompt';
  if (press.key === 'Escape' && !command && !press.altKey) return 'stop';
  return null;
}
