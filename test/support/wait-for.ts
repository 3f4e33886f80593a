import type { Readable } from 'node:stream';

export interface WaitOptions {
  /** What is awaited, for the message when it never comes. */
  what?: string;
  /** A bound on a hang, never a pause the test relies on: the wait ends as soon as the condition holds. */
  timeoutMs?: number;
}

/** How often a condition is checked again; short, so a wait ends within a few ms of the state it waits for. */
const CHECK_EVERY_MS = 5;

/**
 * The one polling loop of the test suites: resolves true as soon as `condition` holds, false after
 * `timeoutMs`. For states no event announces (another process's database, a file growing, a
 * socket count); where an event exists (a listener call, a line of output), await it instead.
 */
export async function pollUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
  }
}

/** Waits until `condition` holds; fails the test, naming `what`, if it does not within `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, { what = 'the condition', timeoutMs = 5_000 }: WaitOptions = {}): Promise<void> {
  if (!(await pollUntil(condition, timeoutMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Resolves once `text` has appeared in a stream's output (across chunks): the event a process announces a state with. */
export function waitForOutput(stream: Readable, text: string, { timeoutMs = 30_000 }: Pick<WaitOptions, 'timeoutMs'> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${text}" in the output; got: ${seen.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (!seen.includes(text)) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve();
    };
    stream.on('data', onData);
  });
}
