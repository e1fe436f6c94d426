/**
 * The error the HTTP layer answers with: a status, a stable code and a message,
 * rendered as `{ "error": { "code", "message" } }`.
 *
 * @module
 */

import { JournalClosedError, JournalIOError, RecordSizeError } from "../wal/mod.ts";
import { InvalidCursorError } from "../store/mod.ts";

/**
 * Every stable machine-readable error code of the HTTP API with the status it
 * is answered with: the README's error table lists each one.
 *
 * @example Tell a client's retryable errors by their code
 * ```ts
 * import { HTTP_ERROR_STATUS, type HttpErrorCode } from "@stemedb/ingest/http";
 * import assert from "node:assert/strict";
 *
 * // This client sends a request again on 429 (with its Retry-After) and on 5xx only.
 * const retryable = (code: HttpErrorCode) => {
 *   const status = HTTP_ERROR_STATUS[code];
 *   return status === 429 || status >= 500;
 * };
 * const codes = Object.keys(HTTP_ERROR_STATUS) as HttpErrorCode[];
 * const again = codes.filter(retryable);
 * assert.deepEqual(again, ["too_many_requests", "internal", "service_unavailable"]);
 * ```
 */
export const HTTP_ERROR_STATUS = {
  bad_request: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  epoch_exists: 409,
  invalid_record: 422,
  unknown_assertion: 422,
  unknown_epoch: 422,
  too_many_requests: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

/** Stable machine-readable error codes of the HTTP API. */
export type HttpErrorCode = keyof typeof HTTP_ERROR_STATUS;

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

/**
 * The HTTP error a thrown value means. Errors the lower layers raise by kind
 * map onto their status: a bad cursor is the client's (400), a record the
 * journal refuses by size is too large (413), a closed or failed journal
 * makes the service unavailable until it is reopened (503). Anything else is
 * a 500.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof InvalidCursorError) return new HttpError(400, "bad_request", message);
  if (error instanceof RecordSizeError) return new HttpError(413, "payload_too_large", message);
  if (error instanceof JournalClosedError || error instanceof JournalIOError) {
    return new HttpError(503, "service_unavailable", message);
  }
  return new HttpError(500, "internal", message);
}

/** Render any thrown value as a JSON error response (see {@linkcode toHttpError}). */
export function errorResponse(error: unknown): Response {
  const e = toHttpError(error);
  return Response.json({ error: { code: e.code, message: e.message, ...e.details } }, {
    status: e.status,
    headers: e.headers,
  });
}
