/*
 * Chromium lays out a run of text with no break opportunity in time quadratic in its length when
 * `overflow-wrap: anywhere` (or `break-word`) lets it break the run: 50 KB with no space took 3.5 s
 * per layout in an answer (markdown.css) and 3 to 4.8 s in the user's bubble, and a streaming
 * answer is laid out at every token. It is slow where the font's shaping ties each character to the
 * next, so that no point of the run is safe to break without shaping it again: kerning ('AAAA…',
 * 'AVAV…' in DejaVu Sans) or a joining script (Arabic); varied base64 wraps fast. No CSS switch
 * avoids it for every script (`word-break: break-all` halves it, `font-kerning: none` still leaves
 * Arabic at 1.2 s), so the runs get break points instead: a `<wbr>` every 80 characters gives the
 * line breaker the opportunities it would otherwise search for, and the same 50 KB takes 20 to 40
 * ms. `<wbr>` adds no text: copying is unchanged.
 */
export const LONGEST_UNBROKEN_RUN = 80;

const longRun = new RegExp(`\\S{${LONGEST_UNBROKEN_RUN + 1},}`);
const longRuns = new RegExp(longRun.source, 'g');
// Characters that belong to the character before them: a break there would split what the reader sees as one.
const attachesToPrevious = /\p{M}|\u200d|\p{Emoji_Modifier}/u;

/** `run` cut into pieces of at most LONGEST_UNBROKEN_RUN code units, never inside a character or before a combining mark. */
export function cutLongRun(run: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (run.length - start > LONGEST_UNBROKEN_RUN) {
    let end = start + LONGEST_UNBROKEN_RUN;
    while (end > start + 1 && !isGoodCut(run, end)) end--;
    // Nowhere good in the whole window (a pile of combining marks): cut anyway, so pieces stay short.
    if (end === start + 1 && !isGoodCut(run, end)) end = start + LONGEST_UNBROKEN_RUN;
    pieces.push(run.slice(start, end));
    start = end;
  }
  pieces.push(run.slice(start));
  return pieces;
}

function isGoodCut(text: string, index: number): boolean {
  const next = text.charCodeAt(index);
  const isLowSurrogate = next >= 0xdc00 && next <= 0xdfff;
  return !isLowSurrogate && text[index - 1] !== '\u200d' && !attachesToPrevious.test(String.fromCodePoint(text.codePointAt(index)!));
}

/** Puts a `<wbr>` into every long unbroken run of text under `root`, except in code blocks and KaTeX output (which never wrap). */
export function breakLongRuns(root: DocumentFragment | Element): void {
  const document = root.ownerDocument!;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const longTexts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node as Text;
    if (longRun.test(text.data) && !text.parentElement?.closest('pre, .katex')) longTexts.push(text);
  }
  for (const text of longTexts) {
    const pieces = cutLongRuns(text.data);
    text.replaceWith(...pieces.flatMap((piece, index) => (index === 0 ? [piece] : [document.createElement('wbr'), piece])));
  }
}

/**
 * `text` cut inside its long runs (cutLongRun) and nowhere else: a break opportunity between each
 * piece and the next keeps its layout linear. Plain text shown as text (the user's own messages)
 * gets a `<wbr>` between the pieces, the same as breakLongRuns gives to HTML. Text without a long
 * run comes back whole, as one piece.
 */
export function cutLongRuns(text: string): string[] {
  const pieces = [''];
  let last = 0;
  for (const match of text.matchAll(longRuns)) {
    const [firstPiece, ...otherPieces] = cutLongRun(match[0]);
    pieces[pieces.length - 1] += text.slice(last, match.index) + firstPiece;
    pieces.push(...otherPieces);
    last = match.index + match[0].length;
  }
  pieces[pieces.length - 1] += text.slice(last);
  return pieces;
}

/*
 * A text field cannot hold a `<wbr>`, and it wraps with `overflow-wrap: break-word`: a 50 KB run
 * pasted into the prompt took 2.6 to 3.3 s per layout, at every keystroke. Wrapping costs about
 * the square of each run's length, so the field stops breaking runs (`overflow-wrap: normal`,
 * scrolling sideways instead) once their sum of squares passes that of one 1,000-character run,
 * a few milliseconds; a long link or two still wraps.
 */
const LARGEST_WRAPPING_COST_IN_TEXT_FIELD = 1000 ** 2;

/** Whether a text field holding `text` should stop wrapping inside long runs to stay responsive. */
export function wrapsSlowlyInTextField(text: string): boolean {
  let cost = 0;
  for (const match of text.matchAll(longRuns)) {
    cost += match[0].length ** 2;
    if (cost > LARGEST_WRAPPING_COST_IN_TEXT_FIELD) return true;
  }
  return false;
}
