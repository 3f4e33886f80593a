/**
 * Shortest wait for a sequence whose consumer still holds its last token, and the share of a
 * decode step we are willing to spend on it: a stalled client delays the others by at most a
 * quarter of a token, never a whole one.
 */
const MIN_CONSUMER_WAIT_MS = 1;
const CONSUMER_WAIT_SHARE_OF_STEP = 0.25;

/**
 * - `computing`: asked node-llama-cpp for its next token and has not got it yet.
 * - `consuming`: has its token; our generator and whoever reads it are handling it.
 * - `waiting`: ready for the next token, held here until the others are too.
 */
type MemberState = 'computing' | 'consuming' | 'waiting';

interface Member {
  state: MemberState;
  /** The llama.cpp sequence id: members are let go in this order. */
  sequenceId: number;
  open?: () => void;
}

export interface DecodeStepTicket {
  /**
   * Call when ready to ask for the next token. Returns undefined when the sequence may go at once
   * (it is the only one decoding), else a promise that resolves when the step opens.
   */
  arrive(): Promise<void> | undefined;
  /** Call when the token asked for has come back. */
  received(): void;
  /** Call once the sequence stops generating (finished, aborted or failed). */
  leave(): void;
}

/**
 * Lines up the sequences that are past their prompt so that each llama_decode carries one token
 * from every one of them, as llama-server's slot loop does.
 *
 * Why this is needed: node-llama-cpp decodes whatever sits in its queue. Once a decode has run,
 * its dispatch loop starts the next one at once if any sequence has queued a token meanwhile,
 * without going through `batching.dispatchSchedule`. The sequence whose sampling finished last
 * reaches the queue a few microtasks too late and rides in the following decode, and the groups
 * never merge again. Measured on the 2-core box (SmolLM2-135M-shape Q8_0, 1 thread): 2
 * conversations got 1.00 sequence per decode, 4 got 2.95, 8 got 6.7–6.9; a custom dispatch
 * schedule that waited 5 ms changed none of it. Holding the sequences here until all of them are
 * ready, then letting them ask together, gives node-llama-cpp one full queue per step.
 *
 * Rules: a ready sequence waits while any other is still computing (that one is back within the
 * current step, so the wait costs at most that step and re-merges split groups); when none is
 * computing and all are ready, the step opens; when some consumer still holds its token, the
 * others wait at most a quarter of the last step time (at least 1 ms) and then go without it.
 * With one sequence decoding, it never waits.
 */
export class DecodeStepGate {
  private readonly members = new Set<Member>();
  private timer: NodeJS.Timeout | undefined;
  private openedAt: number | undefined;
  private lastStepMs = 0;

  /** Registers a sequence that has its first token (prompts go straight to node-llama-cpp). */
  join(sequenceId: number): DecodeStepTicket {
    const member: Member = { state: 'consuming', sequenceId };
    this.members.add(member);
    return {
      arrive: () => {
        let openedAtOnce = false;
        const opened = new Promise<void>((resolve) => {
          member.open = () => {
            openedAtOnce = true;
            resolve();
          };
        });
        member.state = 'waiting';
        this.update();
        return openedAtOnce ? undefined : opened;
      },
      received: () => {
        if (this.openedAt !== undefined) {
          this.lastStepMs = performance.now() - this.openedAt;
          this.openedAt = undefined;
        }
        member.state = 'consuming';
        this.update();
      },
      leave: () => {
        if (!this.members.delete(member)) return;
        // A sequence aborted while held here must not stay parked on a promise nobody resolves.
        member.open?.();
        this.update();
      },
    };
  }

  private update(): void {
    const waiting = [...this.members].filter((member) => member.state === 'waiting');
    if (waiting.length === 0 || [...this.members].some((member) => member.state === 'computing')) {
      this.clearTimer();
      return;
    }
    if (waiting.length === this.members.size) {
      this.open(waiting);
      return;
    }
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.open([...this.members].filter((member) => member.state === 'waiting'));
      },
      Math.max(MIN_CONSUMER_WAIT_MS, this.lastStepMs * CONSUMER_WAIT_SHARE_OF_STEP),
    );
  }

  private open(waiting: Member[]): void {
    this.clearTimer();
    if (waiting.length === 0) return;
    for (const member of waiting) member.state = 'computing';
    this.openedAt = performance.now();
    // In sequence-id order, because that becomes the order of tokens in the batch: node-llama-cpp
    // keeps each sequence's KV cache apart (kv_unified = false), and then llama.cpp cuts a batch
    // into micro-batches of consecutive, increasing sequence ids in batch order
    // (llama_batch_allocr::split_equal with sequential = true). Ids 3,0,1,2 would run as two
    // matrix products over the weights instead of one: measured with 8 clients on `anychat serve`,
    // a third more CPU per token than llama-server, which keeps one unified cache.
    waiting.sort((first, second) => first.sequenceId - second.sequenceId);
    const opens = waiting.map((member) => member.open);
    for (const member of waiting) member.open = undefined;
    if (waiting.length === 1) {
      opens[0]?.();
      return;
    }
    // Open on the next event-loop turn: by then node-llama-cpp's dispatch loop has seen an empty
    // queue and let go, so all of these tokens queue together and its nextCycle dispatch (a
    // setImmediate scheduled by the first of them) decodes them in one batch.
    setImmediate(() => {
      for (const open of opens) open?.();
    });
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
