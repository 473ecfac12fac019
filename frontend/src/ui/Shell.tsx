// The frame around every page: brand, breadcrumbs, the signed-in user and sign-out.
import type { ReactNode } from "react";
import { csrfToken } from "../api/client";
import { linkProps } from "../router";
import { ConnectionBanner } from "./ConnectionBanner";
import { SignedOutBanner } from "./SignedOutBanner";

export interface Crumb {
  label: string;
  href?: string;
}

export function currentUser(): { username: string } {
  const el = document.getElementById("user-info");
  try {
    return el?.textContent ? (JSON.parse(el.textContent) as { username: string }) : { username: "" };
  } catch {
    return { username: "" };
  }
}

export function Shell({ crumbs, actions, children, full }: { crumbs: Crumb[]; actions?: ReactNode; children: ReactNode; full?: boolean }) {
  const user = currentUser();
  return (
    <div className={`shell${full ? " shell-full" : ""}`}>
      <header className="topbar">
        <a className="brand" aria-label="Pipeline designer" {...linkProps("/")}>
          <span className="brand-mark" aria-hidden="true">◆</span> <span className="brand-name">Pipeline designer</span>
        </a>
        <nav className="crumbs" aria-label="Breadcrumbs">
          {crumbs.map((c, i) => (
            <span key={i} className="crumb">
              <span className="crumb-sep" aria-hidden="true">/</span>
              {c.href ? (
                <a {...linkProps(c.href)} title={c.label}>
                  {c.label}
                </a>
              ) : (
                <span data-testid="crumb-current" title={c.label}>
                  {c.label}
                </span>
              )}
            </span>
          ))}
        </nav>
        <div className="topbar-actions">{actions}</div>
        <form className="signout" method="post" action="/accounts/logout/">
          <input type="hidden" name="csrfmiddlewaretoken" value={csrfToken()} />
          <a {...linkProps("/tokens/")} className="user" data-testid="current-user" title="Your account: e-mail address and API tokens for scripts">{user.username}</a>
          <button type="submit" className="link-button">Sign out</button>
        </form>
      </header>
      <ConnectionBanner />
      <SignedOutBanner />
      <main className="page">{children}</main>
    </div>
  );
}
