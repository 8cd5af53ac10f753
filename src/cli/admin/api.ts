/**
 * The admin HTTP API (protocol/admin.md) as the CLI calls it: one bearer token, JSON both ways,
 * and every way a call can go wrong turned into one `AdminFailure` sentence.
 */

/** The server refused, a command failed, or the server could not be reached: one line, exit 1. */
export class AdminFailure extends Error {
  override readonly name = 'AdminFailure';
}

export interface CallOptions {
  /** A JSON body (sent as application/json). */
  readonly body?: unknown;
  /** The sentence for a 404, when it means "no such thing" rather than a wrong route. */
  readonly notFound?: string;
}

export class AdminApi {
  /** The server as the user named it, for messages. */
  readonly display: string;

  constructor(
    private readonly base: URL,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.display = base.href.replace(/\/$/, '');
  }

  /** The answer's JSON body on 2xx; otherwise an AdminFailure `<status>: <the server's error>`. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<unknown> {
    const { status, body } = await this.send(method, path, options.body);
    if (status >= 200 && status < 300) return body;
    if (status === 404 && options.notFound !== undefined) throw new AdminFailure(options.notFound);
    throw new AdminFailure(`${status}: ${errorOf(body) ?? 'the server gave no reason'}`);
  }

  private async send(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    // Relative to the base, so a server behind a path prefix (a reverse proxy) works too.
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: response.status, body: parseJson(await response.text()) };
    } catch (err) {
      throw new AdminFailure(this.unreachable(err));
    }
  }

  private unreachable(err: unknown): string {
    if (err instanceof Error && err.name === 'TimeoutError') return `no answer from ${this.display} within ${this.timeoutMs} ms`;
    return `cannot reach ${this.display}: ${networkReason(err)}`;
  }
}

/** The `{error}` of an answer, when it has one. */
function errorOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' ? error : undefined;
}

/** A body that is not JSON (a proxy's HTML page, say) is kept as undefined: only `{error}` is read from it. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * fetch says only "fetch failed"; the system's code (ECONNREFUSED, ENOTFOUND…) is on its cause,
 * or on the first of several causes when every address of a name was tried.
 */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  const first = cause instanceof AggregateError ? (cause.errors[0] as unknown) : cause;
  for (const candidate of [cause, first]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
  }
  if (first instanceof Error) return first.message;
  return err instanceof Error ? err.message : String(err);
}
