/**
 * Joins a configured base URL and an API path. `new URL('generate', 'http://host/prefix')` would
 * drop `prefix`, so the base always gets a trailing slash first; endpoints behind a path prefix
 * (Hugging Face Inference Endpoints, reverse proxies) keep working.
 */
export function endpointUrl(base: string, path: string): URL {
  const baseWithSlash = base.endsWith('/') ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ''), baseWithSlash);
}

/** The host (and port) of an endpoint, used as a model name of last resort and in messages. */
export function endpointHost(base: string): string {
  try {
    return new URL(base).host;
  } catch {
    return base;
  }
}
