// Fetch wrapper: JSON in and out, Django's CSRF token, one error type, and retries while the server is unreachable.
import type { Issue } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: Issue[];
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    super(typeof body.detail === "string" ? body.detail : `Request failed (${status})`);
    this.status = status;
    this.code = typeof body.code === "string" ? body.code : "error";
    this.issues = Array.isArray(body.issues) ? (body.issues as Issue[]) : [];
    this.body = body;
  }
}

/** The server could not be reached at all (network down, server restarting). */
export class NetworkError extends Error {}

type ConnectivityListener = (online: boolean) => void;
const connectivityListeners = new Set<ConnectivityListener>();
const unreachable = new Set<string>(); // what cannot reach the server now: "api", "socket"

/** Report whether one of the page's connections reaches the server (the banner shows while any
 * does not). */
export function reportConnectivity(source: string, reachable: boolean): void {
  const before = unreachable.size === 0;
  if (reachable) unreachable.delete(source);
  else unreachable.add(source);
  const now = unreachable.size === 0;
  if (before !== now) for (const l of connectivityListeners) l(now);
}

function setOnline(value: boolean): void {
  reportConnectivity("api", value);
}

export function onConnectivity(listener: ConnectivityListener): () => void {
  connectivityListeners.add(listener);
  return () => connectivityListeners.delete(listener);
}

export function isOnline(): boolean {
  return unreachable.size === 0;
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Retry on network failure with backoff (default: GET only). */
  retry?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(new DOMException("aborted", "AbortError"));
    });
  });

async function once<T>(method: string, path: string, opts: RequestOptions): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin", signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    setOnline(false);
    throw new NetworkError("Cannot reach the server.");
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    setOnline(false);
    throw new NetworkError(`The server is unavailable (${response.status}).`);
  }
  setOnline(true);
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (response.status === 401 || (response.status === 403 && (data as { code?: string })?.code === "not_authenticated")) {
    window.location.assign(`/accounts/login/?next=${encodeURIComponent(window.location.pathname)}`);
  }
  if (!response.ok) throw new ApiError(response.status, (data ?? {}) as Record<string, unknown>);
  return { data: data as T, headers: response.headers, status: response.status };
}

/** One API call; idempotent calls retry while the server cannot be reached. */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const retry = opts.retry ?? method === "GET";
  let delay = 500;
  for (;;) {
    try {
      return await once<T>(method, path, opts);
    } catch (err) {
      if (!(err instanceof NetworkError) || !retry) throw err;
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, 8000);
    }
  }
}

export const api = {
  get: async <T>(path: string, signal?: AbortSignal) => (await request<T>("GET", path, { signal })).data,
  post: async <T>(path: string, body?: unknown) => (await request<T>("POST", path, { body })).data,
  patch: async <T>(path: string, body: unknown) => (await request<T>("PATCH", path, { body })).data,
  put: async <T>(path: string, body: unknown, headers?: Record<string, string>) => (await request<T>("PUT", path, { body, headers })),
  delete: async (path: string) => {
    await request<unknown>("DELETE", path);
  },
};

/** A list endpoint's items whether it is paginated ({results}) or a plain array. */
export function items<T>(data: T[] | { results: T[] }): T[] {
  return Array.isArray(data) ? data : data.results;
}

/** A short sentence for any error, for toasts and inline messages. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    // the detail often already says what the issues say ("user: No user with …"): say it once
    const untold = err.issues.map((i) => i.message).filter((m) => !err.message.includes(m));
    return untold.length > 0 ? `${err.message} ${untold.join(" ")}` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
