import { ApiError, CliError, NetworkError } from './cli-error';
import { EXIT } from './exit-codes';
import { isProblem, problemFromText } from './problem-format';

export interface ApiClientOptions {
  /** base URL of the GameDay API, e.g. http://127.0.0.1:8080 */
  url: string;
  token: string;
  timeoutMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  accept?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Normalises the API URL: absolute http(s), no trailing slash (paths are appended). */
export function apiBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--url / GAMEDAY_URL: "${raw}" is not an absolute URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--url / GAMEDAY_URL: "${raw}" must be http:// or https://`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The public REST API and nothing else, over Node's own fetch. Errors come back as CliErrors:
 * problem documents become readable messages, transport failures name the URL and the cause.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = apiBaseUrl(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, { accept: 'application/json', ...options });
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the API answered ${method} ${path} with a body that is not JSON`, EXIT.api);
    }
  }

  /** A text resource (the run report) with its content type. */
  async text(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ contentType: string; body: string }> {
    const res = await this.send(method, path, options);
    return { contentType: res.headers.get('content-type') ?? '', body: await res.text() };
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.token}`,
      Accept: options.accept ?? 'application/json',
    };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new NetworkError(
        `cannot reach the GameDay API at ${this.baseUrl}: ${transportCause(error, this.timeoutMs)}`,
      );
    }
    if (!res.ok) throw await apiErrorOf(res);
    return res;
  }
}

async function apiErrorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isProblem(body)) return new ApiError(res.status, { ...body, status: res.status });
  } catch {
    // not JSON: described from the text below
  }
  return new ApiError(res.status, problemFromText(res.status, res.statusText, text));
}

/** fetch hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, certificate errors). */
export function transportCause(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause;
  if (cause?.code && cause.message)
    return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  if (cause?.code) return cause.code;
  return cause?.message ?? e?.message ?? String(error);
}
