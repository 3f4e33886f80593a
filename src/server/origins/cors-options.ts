import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * CORS for `--cors-origin`. Every method the APIs use is allowed (the page's rename and delete are
 * PATCH and DELETE). `*` is answered without credentials: browsers refuse `*` together with
 * `Access-Control-Allow-Credentials`, and a wildcard must never carry the user's session cookie.
 */
export function corsOptions(origins: string | readonly string[]): FastifyCorsOptions {
  const list = (typeof origins === 'string' ? [origins] : [...origins]).map((origin) => origin.trim()).filter(Boolean);
  const wildcard = list.includes('*');
  return {
    origin: wildcard ? '*' : list,
    credentials: !wildcard,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  };
}
