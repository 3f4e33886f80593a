import { Gauge, type Registry } from 'prom-client';

/**
 * The process's memory under prom-client's standard names (`collectDefaultMetrics` would add
 * them too, but it also starts a GC observer and an event-loop monitor per registry, and every
 * test app has a registry of its own). Read when scraped, so a leak shows as a rising line
 * without a debugger attached: `npm run bench:load` samples these.
 */
export function registerProcessMemoryMetrics(registry: Registry): void {
  const registers = [registry];
  const gauges: [name: string, help: string, read: (usage: NodeJS.MemoryUsage) => number][] = [
    ['process_resident_memory_bytes', 'Resident memory size in bytes', (usage) => usage.rss],
    ['nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes', (usage) => usage.heapTotal],
    ['nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', (usage) => usage.heapUsed],
    ['nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript (buffers, WebAssembly memory), in bytes', (usage) => usage.external],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(process.memoryUsage()));
      },
    });
  }
}
