/** What `npm run bench:load` runs; `--quick` shrinks every dimension, for iteration and `npm run bench -- --quick`. */
export interface LoadSettings {
  /** Clients each holding one stream open at all times, round robin over TGI, OpenAI and the app API. */
  clients: number;
  holdSeconds: number;
  rampSeconds: number;
  /** Words per streamed answer; at `echoDelayMs` a word, a stream lasts wordsPerStream × echoDelayMs. */
  wordsPerStream: number;
  /** The streams server's echo pace: 50 ms is 20 tokens/s, as `npm run bench:server` uses. */
  echoDelayMs: number;
  sequentialConversations: number;
  /** The conversations server answers at once (echo delay 0): ten thousand round trips, not ten thousand seconds. */
  wordsPerAnswer: number;
  /** Warm-up before the baseline: every client streaming short answers for this long on the first server… */
  warmUpSeconds: number;
  /** …and this many conversations on the second. */
  warmUpConversations: number;
  /** Rest after the load before the after-figure: past the app API's 5 s re-attach grace and the sockets' close. */
  settleSeconds: number;
  /**
   * Live heap after settling may exceed the baseline by this much and still count as back to
   * baseline: V8 keeps compiled code and inline caches for paths the warm-up did not reach. A
   * leak of 100 bytes per request over the full run's tens of thousands of requests exceeds it.
   */
  heapToleranceKiB: number;
}

type SizeOverrides = Partial<Record<'clients' | 'holdSeconds' | 'sequentialConversations', number | undefined>>;

export function loadSettings(quick: boolean, overrides: SizeOverrides = {}): LoadSettings {
  const shared = { echoDelayMs: 50, wordsPerStream: 50, wordsPerAnswer: 20, heapToleranceKiB: 1024 };
  const sized = quick
    ? { ...shared, clients: 200, holdSeconds: 10, rampSeconds: 1, sequentialConversations: 1000, warmUpSeconds: 3, warmUpConversations: 100, settleSeconds: 8 }
    : { ...shared, clients: 1000, holdSeconds: 60, rampSeconds: 5, sequentialConversations: 10_000, warmUpSeconds: 3, warmUpConversations: 200, settleSeconds: 15 };
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined && value > 0));
  return { ...sized, ...given };
}
