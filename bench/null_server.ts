/**
 * The peer of `serve_bench.ts`: a `deno serve` module that reads each request
 * body and answers 201 with a small JSON body, doing no work at all. What
 * the HTTP stack alone costs on this machine.
 *
 * @module
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return Response.json({ hash: "", offset: 0 }, { status: 201 });
  },
} satisfies Deno.ServeDefaultExport;
