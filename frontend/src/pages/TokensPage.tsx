// The signed-in user's account page: their e-mail address for run notices, personal API tokens (create one,
// shown once with a copy button and a curl line; list; revoke), the password and two-factor sign-in.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { ApiToken, Me, MeUpdated, NewApiToken, SignedOut } from "../api/types";
import { SecretReveal } from "../ui/SecretReveal";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { TwoFactor } from "./TwoFactor";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");

/** The address run notices of watched pipelines go to, and owners invite by; a new one is set once the link mailed
 * to it is opened. */
function EmailForm() {
  const toast = useToast();
  const [email, setEmail] = useState<string | null>(null);
  const [pending, setPending] = useState("");
  useEffect(() => {
    api.get<Me>("/api/me/").then((me) => setEmail(me.email ?? "")).catch((err) => toast(errorMessage(err), "error"));
  }, [toast]);
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const me = await api.patch<MeUpdated>("/api/me/", { email: (email ?? "").trim() });
      setPending(me.confirmation_sent_to);
      if (me.confirmation_sent_to) {
        toast(`We mailed a link to ${me.confirmation_sent_to}: open it to confirm the address.`, "success");
      } else {
        setEmail(me.email ?? "");
        toast(me.email ? `Run notices go to ${me.email}.` : "No e-mail address: no run notices.", "success");
      }
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  if (email === null) return null;
  return (
    <>
      <form className="inline-form" onSubmit={(e) => void save(e)}>
        <input type="email" placeholder="you@example.com" value={email} onChange={(e) => setEmail(e.target.value)} aria-label="E-mail address" maxLength={254} data-testid="account-email" />
        <button type="submit" data-testid="account-email-save">Save address</button>
      </form>
      {pending && (
        <p className="muted" data-testid="account-email-pending">
          Waiting for you to open the link mailed to {pending} (it works for 3 days, while you are signed in as this account). Until
          then your address stays as it was.
        </p>
      )}
    </>
  );
}

export function TokensPage() {
  const toast = useToast();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState("");
  const [fresh, setFresh] = useState<NewApiToken | null>(null);

  const load = useCallback(() => {
    api
      .get<{ results: ApiToken[] }>("/api/tokens/?limit=200")
      .then((d) => setTokens(items(d)))
      .catch((err) => toast(errorMessage(err), "error"));
  }, [toast]);
  useEffect(load, [load]);

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      toast("Name the token first, to tell it apart in the tokens list.", "error");
      return;
    }
    try {
      setFresh(await api.post<NewApiToken>("/api/tokens/", { name: name.trim() }));
      setName("");
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const revoke = async (token: ApiToken) => {
    if (!window.confirm(`Revoke token ${token.name} (${token.prefix}…)? Scripts using it are refused at once.`)) return;
    try {
      await api.delete(`/api/tokens/${token.id}/`);
      if (fresh?.id === token.id) setFresh(null);
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const signOutElsewhere = async () => {
    try {
      const { signed_out } = await api.post<SignedOut>("/api/me/sign-out-elsewhere/", {});
      toast(signed_out === 1 ? "Signed out of 1 other browser." : `Signed out of ${signed_out} other browsers.`, "success");
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const example = `curl -H "Authorization: Bearer ${fresh?.token ?? "dsn_…"}" ${window.location.origin}/api/workspaces/`;

  return (
    <Shell crumbs={[{ label: "Workspaces", href: "/" }, { label: "Account and API tokens" }]}>
      <div className="content">
        <h1>Account</h1>
        <h2>E-mail address</h2>
        <p className="muted">Where mails about the pipelines you watch go (a failed run, a pipeline that succeeds again). Only you see it.</p>
        <EmailForm />
        <h2>API tokens</h2>
        <p className="muted">
          A token lets a script use the REST API and follow runs over WebSockets as you, in every workspace you belong to, with your role in each. It is shown once: store it
          like a password, and revoke it here when the script no longer needs it. The API is described at <a href="/api/docs/">/api/docs/</a>.
        </p>
        {fresh && (
          <SecretReveal noun="Token" name={fresh.name} value={fresh.token} testId="new-token" />
        )}
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <input type="text" placeholder="What the token is for" value={name} onChange={(e) => setName(e.target.value)} aria-label="Token name" maxLength={200} data-testid="token-name" />
          <button className="primary" type="submit" data-testid="create-token">Create token</button>
        </form>
        <pre className="code-example" data-testid="token-example">{example}</pre>
        {tokens !== null && (
          <table className="data-table list-table" data-testid="token-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Created</th>
                <th>Last used</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} className={t.revoked_at ? "muted" : ""} data-testid={`token-${t.id}`}>
                  <td>{t.name}</td>
                  <td><code>{t.prefix}…</code></td>
                  <td className="small">{when(t.created_at)}</td>
                  <td className="small">{when(t.last_used_at)}</td>
                  <td className="row-actions">
                    {t.revoked_at ? <span className="badge">revoked</span> : <button className="small danger" onClick={() => void revoke(t)}>Revoke</button>}
                  </td>
                </tr>
              ))}
              {tokens.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">No tokens yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        )}
        <h2>Password</h2>
        <p className="muted">
          <a href="/accounts/password/" data-testid="change-password">Change password</a> (your other browsers are signed out).
        </p>
        <p className="muted">
          <button type="button" className="small" onClick={() => void signOutElsewhere()} data-testid="sign-out-elsewhere">
            Sign out of all other browsers
          </button>{" "}
          (a lost laptop, a shared computer; this browser stays signed in, API tokens keep working).
        </p>
        <h2>Two-factor sign-in</h2>
        <p className="muted">
          With an authenticator app on your phone, a stolen password alone no longer signs anyone in as you. API tokens are not affected.
        </p>
        <TwoFactor />
      </div>
    </Shell>
  );
}
