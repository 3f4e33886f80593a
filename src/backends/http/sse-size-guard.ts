import { BackendError } from '../backend.ts';
import { describeUpstreamLimit, type UpstreamLimits } from './upstream-limits.ts';

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** The ways an SSE event can end (a blank line), as byte strings; `\r\n\r\n` contains `\n\r\n`. */
const eventEnds = ['\n\n', '\r\r', '\n\r\n'];

/**
 * Counts the bytes of the SSE line and event still open, chunk by chunk, before the parser buffers
 * them: eventsource-parser keeps an unfinished line (and event) whole in memory, so without this a
 * server that never sends a newline grows the process without bound. Works on raw bytes: 0x0A and
 * 0x0D never occur inside a UTF-8 multi-byte character.
 */
export class SseSizeGuard {
  private lineBytes = 0;
  private eventBytes = 0;
  /** The last two bytes seen, so an event end split across two chunks is still found. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly limits: UpstreamLimits,
    private readonly serverLabel: string,
  ) {}

  /** Throws a `protocol` BackendError naming the cap and its flag once a line or an event is over it. */
  check(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastLineEnd = Math.max(bytes.lastIndexOf(LINE_FEED), bytes.lastIndexOf(CARRIAGE_RETURN));
    this.lineBytes = lastLineEnd === -1 ? this.lineBytes + bytes.length : bytes.length - lastLineEnd - 1;

    const searched = Buffer.concat([this.tail, bytes]);
    const lastEventEnd = Math.max(...eventEnds.map((end) => {
      const index = searched.lastIndexOf(end);
      return index === -1 ? -1 : index + end.length;
    }));
    this.eventBytes = lastEventEnd === -1 ? this.eventBytes + bytes.length : searched.length - lastEventEnd;
    this.tail = Buffer.from(searched.subarray(Math.max(0, searched.length - 2)));

    if (this.lineBytes > this.limits.maxLineBytes) {
      throw new BackendError('protocol', `${this.serverLabel} sent a line longer than ${describeUpstreamLimit(this.limits, 'maxLineBytes')}; anychat stopped reading it`);
    }
    if (this.eventBytes > this.limits.maxEventBytes) throw this.eventTooLarge();
  }

  /** The same cap for an event that arrived whole inside one chunk. */
  checkEvent(data: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long data needs counting.
    if (data.length * 3 > this.limits.maxEventBytes && Buffer.byteLength(data) > this.limits.maxEventBytes) throw this.eventTooLarge();
  }

  private eventTooLarge(): BackendError {
    return new BackendError('protocol', `${this.serverLabel} sent an event larger than ${describeUpstreamLimit(this.limits, 'maxEventBytes')}; anychat stopped reading it`);
  }
}
