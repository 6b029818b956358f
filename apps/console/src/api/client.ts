/**
 * The console's only way to the API: an openapi-fetch client typed from the API's OpenAPI document
 * (schema.d.ts, generated), same origin, authenticated by the session cookie. Every state-changing
 * request carries the session's CSRF token; every failure becomes an ApiFailure with the API's code
 * and message; a 401 tells the app that the session is gone (it sends the person to sign-in).
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Listeners told when an authenticated call answered 401 (the session expired or was ended). */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD'].includes(request.method))
      request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

export const client = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
client.use(csrf);

interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * Awaits a client call: its data, typed by the route's documented success answer, or an ApiFailure
 * carrying the API's error code and message.
 */
export async function call<R extends FetchResult>(
  request: Promise<R>,
  options: { quiet401?: boolean } = {},
): Promise<NonNullable<R['data']>> {
  let result: FetchResult;
  try {
    result = await request;
  } catch (err) {
    throw new ApiFailure(0, 'network_error', `The API did not answer (${(err as Error).message}).`);
  }
  if (result.response.ok) return result.data as NonNullable<R['data']>;
  const body = (result.error ?? {}) as {
    error?: { code?: string; message?: string; details?: Record<string, unknown> };
  };
  const failure = new ApiFailure(
    result.response.status,
    body.error?.code ?? `http_${result.response.status}`,
    body.error?.message ?? result.response.statusText,
    body.error?.details ?? {},
  );
  if (failure.status === 401 && !options.quiet401) for (const l of signedOutListeners) l();
  throw failure;
}
