import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED = '[redacted]';

/**
 * Header and field paths that hold credentials. Upstream keys are also scrubbed as strings (below),
 * because an upstream's error message or a URL may carry them where no path can predict.
 */
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  '*.apiKey',
  '*.upstreamApiKey',
  'apiKey',
];

/** Wraps a destination so that no line it receives contains any of `secrets`. */
export function redactingDestination(secrets: readonly string[], target: DestinationStream): DestinationStream {
  // Every key, however short: a short key is still a key (mangling a word now and then is the lesser harm).
  const scrubbed = secrets.filter((secret) => secret.length > 0);
  if (scrubbed.length === 0) return target;
  return {
    write(line: string) {
      let clean = line;
      for (const secret of scrubbed) clean = clean.split(secret).join(REDACTED);
      // JSON-escaped forms of a key with quotes or backslashes would slip past the plain match.
      for (const secret of scrubbed) clean = clean.split(JSON.stringify(secret).slice(1, -1)).join(REDACTED);
      return target.write(clean);
    },
  };
}

export interface ServerLoggerOptions {
  level?: string;
  /** Strings that must never appear in a log line: our API key, upstream keys. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

/** The server's pino logger: JSON lines, credentials removed by path and by value. */
export function createServerLogger(options: ServerLoggerOptions = {}): Logger {
  const destination = redactingDestination(options.secrets ?? [], options.destination ?? pino.destination(1));
  return pino({ level: options.level ?? 'info', redact: { paths: redactPaths, censor: REDACTED } }, destination);
}
