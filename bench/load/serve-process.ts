/**
 * The server under load: `anychat serve` exactly as the CLI runs it (same argument parsing,
 * storage, logger and shutdown), in a process of its own started by bench/load/server-process.ts
 * with `--expose-gc`. The one addition is an IPC message that forces a full garbage collection,
 * so the leak check compares live heap with live heap instead of waiting on V8's schedule. It is
 * reachable only from the parent process: nothing on the HTTP side changes.
 */
export type ServeProcessMessage = 'collect-garbage';
export type ServeProcessReply = { type: 'garbage-collected'; memory: NodeJS.MemoryUsage };

process.on('message', (message: ServeProcessMessage) => {
  if (message !== 'collect-garbage') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first pass can leave objects that only become unreachable once finalizers have run.
  gc?.();
  gc?.();
  process.send?.({ type: 'garbage-collected', memory: process.memoryUsage() } satisfies ServeProcessReply);
});
// The IPC channel would keep the process alive after a graceful shutdown; the server's own handles keep it alive until then.
process.channel?.unref();

// The CLI reads the command from process.argv: [node, this file, 'serve', ...flags].
await import('../../src/cli/main.ts');
