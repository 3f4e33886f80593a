import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { BackendError } from '../backend.ts';
import { SseSizeGuard } from './sse-size-guard.ts';
import { defaultUpstreamLimits, type UpstreamLimits } from './upstream-limits.ts';

/**
 * Server-sent events from a byte stream. Bytes go through a streaming TextDecoder, so a chunk
 * boundary inside a multi-byte UTF-8 character is harmless; eventsource-parser handles lines split
 * anywhere, `data:` with or without a space (TGI writes none), CRLF and comments (keep-alives).
 * A line that is not SSE at all (an HTML error page, bare JSON) throws a `protocol` BackendError,
 * and so does a line or an event over its cap (`limits`), before the parser buffers it.
 */
export async function* readServerSentEvents(
  chunks: AsyncIterable<Uint8Array>,
  serverLabel: string,
  limits: UpstreamLimits = defaultUpstreamLimits,
): AsyncGenerator<EventSourceMessage> {
  const sizeGuard = new SseSizeGuard(limits, serverLabel);
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  let parseProblem: string | null = null;
  const parser = createParser({
    onEvent: (event) => pending.push(event),
    onError: (error) => {
      parseProblem ??= error.line ? `${error.message}: ${JSON.stringify(error.line.slice(0, 120))}` : error.message;
    },
  });
  const feed = function* (text: string): Generator<EventSourceMessage> {
    parser.feed(text);
    // Events parsed before a malformed line are real output: deliver them, then fail.
    for (const event of pending.splice(0)) {
      sizeGuard.checkEvent(event.data);
      yield event;
    }
    if (parseProblem !== null) throw new BackendError('protocol', `${serverLabel} sent a malformed event stream (${parseProblem})`);
  };
  for await (const chunk of chunks) {
    sizeGuard.check(chunk);
    yield* feed(decoder.decode(chunk, { stream: true }));
  }
  yield* feed(decoder.decode());
}
