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

/**
 * The endpoint as it may be shown (messages, logs, stored errors): without `user:password@`.
 * `fetch` refuses such URLs with an error quoting the whole URL, password included, which went
 * to clients and into the database; the credentials are sent as a Basic header instead.
 */
export function shownEndpoint(base: string): string {
  try {
    const url = new URL(base);
    if (!url.username && !url.password) return base;
    url.username = '';
    url.password = '';
    // URL adds a trailing slash to a bare origin; keep the endpoint as the user wrote it otherwise.
    return base.endsWith('/') ? url.href : url.href.replace(/\/$/, '');
  } catch {
    return base.replace(/\/\/[^/@]*@/, '//');
  }
}

/** The URL to fetch (no userinfo) and the userinfo as an `Authorization: Basic …` value, if any. */
export function separateCredentials(url: URL): { url: URL; basicAuthorization: string | null } {
  if (!url.username && !url.password) return { url, basicAuthorization: null };
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { url: bare, basicAuthorization: `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}` };
}

/** The password in an endpoint's userinfo, to scrub from logs; null when there is none. */
export function endpointPassword(base: string | undefined): string | null {
  if (!base) return null;
  try {
    const password = decodeURIComponent(new URL(base).password);
    return password || null;
  } catch {
    return null;
  }
}
