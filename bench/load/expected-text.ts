/**
 * What each request asks the echo backend to say, and how the answer is checked. The echo backend
 * streams the last user message back one whitespace-led word at a time, so a message of numbered
 * words tagged with the stream's own id comes back as exactly that text when nothing is lost:
 * a word missing, repeated, out of order or from another stream names the fault.
 */
export function echoText(streamId: number, wordCount: number): string {
  const tag = streamId.toString(36);
  return Array.from({ length: wordCount }, (_, index) => `${tag}.${index}`).join(' ');
}

export interface TokenCheck {
  /** The reassembled text equals the text asked for, byte for byte. */
  exact: boolean;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Words that were never asked for in this stream: another stream's, or garbled. */
  foreign: number;
}

export function checkTokens(expected: string, received: string): TokenCheck {
  if (received === expected) return { exact: true, dropped: 0, duplicated: 0, reordered: 0, foreign: 0 };
  const positions = new Map(expected.split(' ').map((word, index) => [word, index]));
  const seen = new Set<string>();
  const check: TokenCheck = { exact: false, dropped: 0, duplicated: 0, reordered: 0, foreign: 0 };
  let lastPosition = -1;
  for (const word of received.split(/\s+/).filter(Boolean)) {
    const position = positions.get(word);
    if (position === undefined) check.foreign++;
    else if (seen.has(word)) check.duplicated++;
    else {
      if (position < lastPosition) check.reordered++;
      lastPosition = Math.max(lastPosition, position);
      seen.add(word);
    }
  }
  check.dropped = positions.size - seen.size;
  return check;
}

/** Tokens that did not arrive exactly once and in place. */
export function faultyTokens(check: TokenCheck): number {
  return check.dropped + check.duplicated + check.reordered + check.foreign;
}
