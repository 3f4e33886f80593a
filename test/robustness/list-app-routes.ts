import type { FastifyInstance, HTTPMethods } from 'fastify';

export interface AppRoute {
  readonly method: HTTPMethods;
  /** As registered, with its `:param` placeholders: `/api/conversations/:id`. */
  readonly url: string;
}

/**
 * Every route of a ready app, read back from its router. An `onRoute` hook would miss the routes
 * buildApp registers before a test could add the hook (the page, login), so the suites read the
 * router's own listing instead and check each entry with `hasRoute`, which proves the parse right.
 */
export function listAppRoutes(app: FastifyInstance): AppRoute[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const segments: string[] = [];
  const routes: AppRoute[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(?<indent>(?:│ {3}| {4})*)(?:├── |└── )(?<segment>.*?)(?: \((?<methods>[A-Z, -]+)\))?$/.exec(line);
    if (!match?.groups) continue;
    const depth = (match.groups.indent ?? '').length / 4;
    segments.length = depth;
    segments.push(match.groups.segment ?? '');
    const url = segments.join('');
    for (const method of (match.groups.methods ?? '').split(',').map((name) => name.trim()).filter(Boolean)) {
      const route = { method: method as HTTPMethods, url };
      if (!app.hasRoute(route)) throw new Error(`listAppRoutes misread the router: ${method} ${url} is not a route`);
      routes.push(route);
    }
  }
  if (routes.length === 0) throw new Error(`no routes found in:\n${tree}`);
  return routes;
}

export const describeRoute = (route: AppRoute): string => `${route.method} ${route.url}`;
