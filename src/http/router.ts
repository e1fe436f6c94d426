/**
 * A tiny path router: `/assertions/:hash/votes`-style patterns, 404 for an
 * unknown path and 405 (with `Allow`) for a known path and the wrong method.
 *
 * @module
 */

import { HttpError } from "./errors.ts";

/** Values of a matched pattern's `:name` segments, URI-decoded. */
export type RouteParams = Record<string, string>;

/** One route: a method, a pattern and what to do. */
export interface Route<C> {
  /** HTTP method, upper case. */
  method: "GET" | "POST";
  /** Path pattern; `:name` segments capture one URI-decoded segment. */
  pattern: string;
  /** Whether the route writes (writes always need the token when one is set). */
  write: boolean;
  /** Produce the response. */
  handle: (context: C, request: Request, params: RouteParams, url: URL) => Promise<Response>;
}

/** A route that matched a request, with its captured parameters. */
export interface RouteMatch<C> {
  /** The matched route. */
  route: Route<C>;
  /** Captured `:name` segments. */
  params: RouteParams;
}

/**
 * Find the route for `method` and `pathname`; throws 404 when no pattern
 * matches and 405 when patterns match but none with this method.
 */
export function matchRoute<C>(
  routes: readonly Route<C>[],
  method: string,
  pathname: string,
): RouteMatch<C> {
  const segments = pathname.replace(/\/+$/, "").split("/").slice(1);
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (params === null) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length === 0) {
    throw new HttpError(404, "not_found", `Cannot route "${pathname}": no such resource`);
  }
  const allow = [...new Set(allowed)].join(", ");
  throw new HttpError(
    405,
    "method_not_allowed",
    `Cannot ${method} "${pathname}": allowed methods are ${allow}`,
    { headers: { Allow: allow } },
  );
}

function matchPattern(pattern: string, segments: string[]): RouteParams | null {
  const parts = pattern.split("/").slice(1);
  if (parts.length !== segments.length) return null;
  const params: RouteParams = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.startsWith(":")) {
      if (segments[i] === "") return null;
      try {
        params[part.slice(1)] = decodeURIComponent(segments[i]);
      } catch {
        return null;
      }
    } else if (part !== segments[i]) return null;
  }
  return params;
}
