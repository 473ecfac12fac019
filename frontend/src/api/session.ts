// Whether this browser is still signed in once a socket says its session ended (4440: a sign-out
// in another tab, a password change, the account deactivated) or refuses it as signed out (4401).
// A session whose key was only cycled (a sign-in, a password change in this browser) is still
// signed in under its new cookie: the socket reconnects. Otherwise every page says so once.
import { CloseCode } from "../protocol.gen";

/** What a socket does after the server closed it with `code`. */
export type AfterClose = "reconnect" | "check-session" | "stop";

export function afterClose(code: number): AfterClose {
  if (code === CloseCode.SESSION_ENDED || code === CloseCode.UNAUTHENTICATED) return "check-session";
  return code >= 4400 && code < 4500 ? "stop" : "reconnect";
}

/** After a session check: reconnect now, stop (signed out, or refused for another reason), or retry later (unreachable). */
export type SessionVerdict = "reconnect" | "signed-out" | "stop" | "retry";

let signedOut = false;
const listeners = new Set<(signedOut: boolean) => void>();

export function isSignedOut(): boolean {
  return signedOut;
}

/** Calls `listener` when this browser is found signed out; returns the unsubscribe. */
export function onSignedOut(listener: (signedOut: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function markSignedOut(): void {
  if (signedOut) return;
  signedOut = true;
  for (const listener of listeners) listener(true);
}

/** Asks the server whether the browser is signed in (GET /api/me/) after a socket closed with `code`. */
export async function checkSession(code: number): Promise<SessionVerdict> {
  let status: number;
  try {
    status = (await fetch("/api/me/", { credentials: "same-origin", headers: { Accept: "application/json" } })).status;
  } catch {
    return "retry";
  }
  if (status === 401 || status === 403) {
    markSignedOut();
    return "signed-out";
  }
  if (status !== 200) return "retry";
  // Signed in: a session that ended was replaced by a new one; a refusal had another reason.
  return code === CloseCode.SESSION_ENDED ? "reconnect" : "stop";
}

/** The sign-in page, coming back here afterwards. */
export function signInUrl(): string {
  return `/accounts/login/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
}
