// Says so when the server cannot be reached; requests retry by themselves and the banner goes when one succeeds.
import { useEffect, useState } from "react";
import { isOnline, onConnectivity } from "../api/client";

export function ConnectionBanner() {
  const [online, setOnline] = useState(isOnline());
  useEffect(() => onConnectivity(setOnline), []);
  if (online) return null;
  return (
    <div className="connection-banner" role="alert" data-testid="offline-banner">
      Cannot reach the server. Retrying… your edits are kept in this tab and will be merged and saved when it is back.
    </div>
  );
}
