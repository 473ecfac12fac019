// Says so when a socket found this browser signed out (in another tab, a password change, the account deactivated).
import { useEffect, useState } from "react";
import { isSignedOut, onSignedOut, signInUrl } from "../api/session";

export function SignedOutBanner() {
  const [signedOut, setSignedOut] = useState(isSignedOut());
  useEffect(() => onSignedOut(setSignedOut), []);
  if (!signedOut) return null;
  return (
    <div className="connection-banner" role="alert" data-testid="signed-out-banner">
      You were signed out: live updates and co-editing stopped. <a href={signInUrl()}>Sign in again</a>
    </div>
  );
}
