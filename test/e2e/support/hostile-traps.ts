import type { BrowserContext, Request } from 'playwright-core';

/** Something a payload could only cause by running code or reaching outside the page. */
export interface TrapRecord {
  /** `alert`, `confirm`, `prompt`, `print`, `__xss` (the flag payloads set) or `csp-violation`. */
  what: string;
  detail: string;
}

export interface ExecutionTraps {
  /** Calls and flag writes seen in the page, and the CSP violations it saw (in order). */
  readonly records: TrapRecord[];
  /** Requests and navigations to another origin, or to a javascript:/data:/vbscript: URL. */
  readonly offOriginRequests: string[];
  /** Forgets what was seen so far: the positive control starts from nothing. */
  clear(): void;
}

/*
 * Runs in every frame before the page's own scripts. Replacing the dialog functions catches a
 * call even where the browser would show no dialog (headless print, a dialog from a detached
 * frame); the flag is a setter, so `window.__xss = 1` is seen the moment it happens. The binding
 * sends each record to the test at once, so a payload that navigates the page away still leaves
 * its record behind.
 */
function trapScript(): void {
  // Methods, not arrows in variables or properties: tsx wraps those in a naming helper
  // (`__name`) that exists in Node but not in the page.
  const trap = {
    report(what: string, detail: unknown) {
      const global = window as unknown as { reportHostileExecution?: (record: unknown) => void };
      global.reportHostileExecution?.({ what, detail: String(detail) });
    },
  };
  for (const name of ['alert', 'confirm', 'prompt', 'print'] as const) {
    Object.defineProperty(window, name, {
      configurable: false,
      writable: false,
      value(message?: unknown) {
        trap.report(name, message);
      },
    });
  }
  Object.defineProperty(window, '__xss', {
    configurable: false,
    get() {
      return undefined;
    },
    set(value: unknown) {
      trap.report('__xss', value);
    },
  });
  document.addEventListener('securitypolicyviolation', (event) => trap.report('csp-violation', `${event.effectiveDirective} ${event.blockedURI}`));
}

export async function installExecutionTraps(context: BrowserContext, appOrigin: string): Promise<ExecutionTraps> {
  const records: TrapRecord[] = [];
  const offOriginRequests: string[] = [];
  await context.exposeBinding('reportHostileExecution', (_source, record: TrapRecord) => {
    records.push(record);
  });
  await context.addInitScript(trapScript);

  const isOffOrigin = (url: string) => !url.startsWith(`${appOrigin}/`) && url !== appOrigin && url !== 'about:blank';
  // Aborted before it leaves the machine, and recorded: nothing in an answer may reach another host.
  await context.route(
    (url) => isOffOrigin(url.href),
    async (route) => {
      offOriginRequests.push(`request ${route.request().url().slice(0, 200)}`);
      await route.abort('blockedbyclient');
    },
  );
  // data: and javascript: URLs never reach the router; requests and navigations still show them.
  const recordRequest = (request: Request) => {
    if (/^(javascript|data|vbscript):/i.test(request.url())) offOriginRequests.push(`request ${request.url().slice(0, 200)}`);
  };
  context.on('request', recordRequest);
  const watchNavigations = (page: import('playwright-core').Page) =>
    page.on('framenavigated', (frame) => {
      if (isOffOrigin(frame.url())) offOriginRequests.push(`navigation ${frame.url().slice(0, 200)}`);
    });
  context.pages().forEach(watchNavigations);
  context.on('page', (page) => {
    watchNavigations(page);
    offOriginRequests.push(`new window ${page.url().slice(0, 200)}`);
  });

  return {
    records,
    offOriginRequests,
    clear() {
      records.length = 0;
      offOriginRequests.length = 0;
    },
  };
}
