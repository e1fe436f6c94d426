/**
 * The error the HTTP layer answers with: a status, a stable code and a message,
 * rendered as `{ "error": { "code", "message" } }`.
 *
 * @module
 */

import { InvalidCursorError } from "../store/mod.ts";

/** Stable machine-readable error codes of the HTTP API. */
export type HttpErrorCode =
  | "malformed_json"
  | "invalid_record"
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "bad_request"
  | "unknown_assertion"
  | "unknown_epoch"
  | "epoch_exists"
  | "internal";

/** An error that maps onto one HTTP response. */
export class HttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Stable machine-readable code. */
  readonly code: HttpErrorCode;
  /** Extra response headers, such as `Allow` for 405. */
  readonly headers: Record<string, string>;
  /** Extra fields merged into the error object (field, line). */
  readonly details: Record<string, unknown>;

  /** Construct an HTTP error. */
  constructor(
    status: number,
    code: HttpErrorCode,
    message: string,
    extra: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = extra.headers ?? {};
    this.details = extra.details ?? {};
  }
}

/** Render any thrown value as a JSON error response; unknown errors become 500. */
export function errorResponse(error: unknown): Response {
  const e = error instanceof HttpError
    ? error
    : error instanceof InvalidCursorError
    ? new HttpError(400, "bad_request", error.message)
    : new HttpError(500, "internal", error instanceof Error ? error.message : String(error));
  return Response.json({ error: { code: e.code, message: e.message, ...e.details } }, {
    status: e.status,
    headers: e.headers,
  });
}
