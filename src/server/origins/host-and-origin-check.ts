import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from '../http-problem.ts';

export interface HostAndOriginOptions {
  /** The address `anychat serve` listens on: its name is always accepted. */
  listenHost?: string | null;
  /** More names this server is reached by (`--allowed-hosts`); `*` accepts any Host. */
  allowedHosts?: readonly string[];
  /** Origins allowed to call the API from a browser (`--cors-origin`); `*` any, but never with the session cookie. */
  corsOrigins?: readonly string[];
  /** Called for each refused request, with why, for the tests' figures and the metrics. */
  onRefused?: (reason: 'host' | 'origin') => void;
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Two checks against browsers being used as a proxy into anychat (the API has no key by default
 * on loopback):
 *
 * - DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and calls the API "same
 *   origin"; its requests still carry `Host: evil.example`. Only this server's names pass: the
 *   loopback names, the listen address, `--allowed-hosts`, and IP literals (a rebinding page
 *   cannot make its Host an IP address: that would be a different origin, not its own).
 * - Cross-origin writes: SameSite=Strict cookies are still sent by a page on another port of the
 *   same host (http://localhost:7877 calling :7872 is same-site), so every state-changing request
 *   that carries an Origin must come from this server's own origin or a `--cors-origin` one.
 *   Requests without Origin (curl, SDKs, the lesson's Python client) are not from a browser page.
 */
export function installHostAndOriginCheck(app: FastifyInstance, options: HostAndOriginOptions): void {
  const allowedHosts = new Set([...(options.allowedHosts ?? []), ...(options.listenHost ? [options.listenHost] : [])].map(normaliseHostName));
  const anyHost = allowedHosts.has('*');
  const corsOrigins = new Set((options.corsOrigins ?? []).map((origin) => origin.replace(/\/+$/, '').toLowerCase()));

  app.addHook('onRequest', async (request) => {
    const host = hostOf(request);
    if (!anyHost && host !== undefined && !isAllowedHost(host, allowedHosts)) {
      options.onRefused?.('host');
      const name = hostNameOf(host);
      throw new HttpProblem(
          403,
          'forbidden',
          `this server does not answer to the name "${name.slice(0, 100)}" (a guard against DNS rebinding); if you reach anychat by this name, start it with --allowed-hosts ${name.slice(0, 100)} (or ANYCHAT_ALLOWED_HOSTS)`,
      );
    }
    if (safeMethods.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin === undefined || isAllowedOrigin(request, origin, corsOrigins)) return;
    options.onRefused?.('origin');
    throw new HttpProblem(
        403,
        'forbidden',
        `requests that change data from the page at ${origin.slice(0, 200)} are refused: only this server's own page may send them; to allow that page, start anychat with --cors-origin ${origin.slice(0, 200)} (or ANYCHAT_CORS_ORIGIN)`,
    );
  });
}

/**
 * The name the client used: the Host header, or behind a trusted proxy (`--trust-proxy`) its
 * X-Forwarded-Host, which Fastify's `request.host` reads, so a proxy that rewrites Host still works.
 */
function hostOf(request: FastifyRequest): string | undefined {
  return request.headers.host === undefined ? undefined : request.host || request.headers.host;
}

/** `Host: LOCALHOST:7860` → `localhost`; `[::1]:7860` → `[::1]`. */
function hostNameOf(host: string): string {
  const lowered = host.trim().toLowerCase();
  if (lowered.startsWith('[')) return lowered.slice(0, lowered.indexOf(']') + 1 || undefined);
  return lowered.replace(/:\d*$/, '').replace(/\.$/, '');
}

function normaliseHostName(name: string): string {
  const lowered = name.trim().toLowerCase();
  // An IPv6 address given bare (--host ::1) is written in brackets in a Host header.
  return lowered.includes(':') && !lowered.startsWith('[') ? `[${lowered}]` : hostNameOf(lowered);
}

function isAllowedHost(host: string, allowedHosts: ReadonlySet<string>): boolean {
  const name = hostNameOf(host);
  if (loopbackNames.has(name) || name.endsWith('.localhost') || allowedHosts.has(name)) return true;
  return isIpLiteral(name);
}

function isIpLiteral(name: string): boolean {
  if (name.startsWith('[') && name.endsWith(']')) return true;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}

function isAllowedOrigin(request: FastifyRequest, origin: string, corsOrigins: ReadonlySet<string>): boolean {
  const normalised = origin.toLowerCase();
  if (corsOrigins.has(normalised)) return true;
  // With `--cors-origin '*'` any page may call with its own key, never riding on the user's cookie.
  if (corsOrigins.has('*') && request.headers.cookie === undefined) return true;
  const host = hostOf(request);
  if (normalised === 'null' || host === undefined) return false;
  try {
    const ownOrigin = new URL(`${request.protocol}://${host}`).origin;
    return new URL(origin).origin === ownOrigin;
  } catch {
    return false;
  }
}
