import cliProgress from 'cli-progress';

export interface DownloadProgress {
  advance(bytes: number): void;
  stop(): void;
}

const MEBIBYTE = 1024 * 1024;

/** A progress bar on stderr in MiB (stdout may be piped into another program); a no-op when disabled. */
export function createDownloadProgress(enabled: boolean, startBytes: number, totalBytes: number | undefined): DownloadProgress {
  if (!enabled) return { advance: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'Downloading model [{bar}] {percentage}% | {value}/{total} MiB | {speed} MiB/s | ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = performance.now();
  let done = startBytes;
  const toMebibytes = (bytes: number): number => Math.round((bytes / MEBIBYTE) * 10) / 10;
  bar.start(toMebibytes(totalBytes ?? 0), toMebibytes(startBytes), { speed: '0.0' });
  return {
    advance(bytes) {
      done += bytes;
      const seconds = (performance.now() - startedAt) / 1000;
      bar.update(toMebibytes(done), { speed: seconds > 0 ? ((done - startBytes) / MEBIBYTE / seconds).toFixed(1) : '0.0' });
    },
    stop() {
      bar.stop();
    },
  };
}
