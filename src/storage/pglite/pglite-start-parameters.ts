import { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL's own shared_buffers (128 MB) is memory that PGlite's WebAssembly build clears on
 * every start: about 0.6 s of CPU, most of opening an existing data folder (measured with
 * bench/startup.ts; 16 MB takes under 0.1 s). anychat's database is a few MB of conversations,
 * and a page that does not fit is one read from the operating system's file cache away. It also
 * keeps 112 MB out of the process's memory.
 */
export const pgliteStartParameters: string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];
