// The account page's two-factor sign-in: add an authenticator app (QR code or key, then a code from it), keep the
// recovery codes shown once, make new ones, or turn it off — each change after a code.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { Enrolment, RecoveryCodes, TwoFactorState } from "../api/types";
import { CopyButton } from "../ui/CopyButton";
import { useToast } from "../ui/toasts";

/** A code input and a button: the app's six digits, or a recovery code. */
function CodeForm({ action, onCode, testId }: { action: string; onCode: (code: string) => Promise<boolean>; testId: string }) {
  const [code, setCode] = useState("");
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onCode(code.trim()).then((done) => done && setCode(""));
      }}
    >
      <input type="text" inputMode="numeric" autoComplete="one-time-code" placeholder="Code" value={code} onChange={(e) => setCode(e.target.value)} aria-label={`Code to ${action.toLowerCase()}`} maxLength={32} data-testid={`${testId}-code`} />
      <button type="submit" data-testid={testId}>{action}</button>
    </form>
  );
}

export function TwoFactor() {
  const toast = useToast();
  const [state, setState] = useState<TwoFactorState | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const load = useCallback(() => {
    api.get<TwoFactorState>("/api/me/two-factor/").then(setState).catch((err) => toast(errorMessage(err), "error"));
  }, [toast]);
  useEffect(load, [load]);
  const attempt = async (f: () => Promise<void>): Promise<boolean> => {
    try {
      await f();
      load();
      return true;
    } catch (err) {
      toast(errorMessage(err), "error");
      return false;
    }
  };
  const begin = () => attempt(async () => setEnrolment(await api.post<Enrolment>("/api/me/two-factor/", {})));
  const confirm = (code: string) =>
    attempt(async () => {
      setCodes((await api.post<RecoveryCodes>("/api/me/two-factor/confirm/", { code })).recovery_codes);
      setEnrolment(null);
      toast("Two-factor sign-in is on; your other browsers were signed out.", "success");
    });
  const renew = (code: string) =>
    attempt(async () => setCodes((await api.post<RecoveryCodes>("/api/me/two-factor/recovery-codes/", { code })).recovery_codes));
  const turnOff = (code: string) =>
    attempt(async () => {
      await api.post("/api/me/two-factor/off/", { code });
      setCodes(null);
      toast("Two-factor sign-in is off: your password alone signs you in.", "success");
    });
  if (state === null) return null;
  return (
    <div data-testid="two-factor" data-enabled={state.enabled}>
      {codes && (
        <div className="callout" data-testid="recovery-codes">
          <p>
            Your recovery codes, shown this once. Keep them somewhere safe: each signs you in once when your phone is not at hand.
          </p>
          <pre className="code-example">{codes.join("\n")}</pre>
          <CopyButton text={codes.join("\n")} label="Copy codes" />{" "}
          <button type="button" className="small" onClick={() => setCodes(null)}>
            I have kept them
          </button>
        </div>
      )}
      {state.enabled ? (
        <>
          <p data-testid="two-factor-on">
            On: you sign in with your password and then a code from your authenticator app. {state.recovery_codes_left} recovery codes left.
          </p>
          <CodeForm action="Make new recovery codes" onCode={renew} testId="two-factor-renew" />
          <CodeForm action="Turn off" onCode={turnOff} testId="two-factor-off" />
        </>
      ) : enrolment ? (
        <>
          <p>Scan this with an authenticator app (or type the key into it), then enter the six-digit code it shows.</p>
          <img src={`data:image/svg+xml;base64,${btoa(enrolment.qr_svg)}`} alt="QR code of your authenticator key" width={180} height={180} data-testid="two-factor-qr" />
          <p>
            Key: <code data-testid="two-factor-secret">{enrolment.secret}</code>
          </p>
          <CodeForm action="Turn on" onCode={confirm} testId="two-factor-confirm" />
        </>
      ) : (
        <button type="button" onClick={() => void begin()} data-testid="two-factor-begin">
          Add an authenticator app
        </button>
      )}
    </div>
  );
}
