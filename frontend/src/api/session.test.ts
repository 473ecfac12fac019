import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloseCode } from "../protocol.gen";

class FakeSocket {
  static opened: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  close(): void {}
  serverCloses(code: number): void {
    this.onclose?.({ code });
  }
}

const answerMe = (status: number) => vi.fn(async () => new Response("{}", { status }));

beforeEach(() => {
  vi.resetModules();
  vi.useFakeTimers();
  FakeSocket.opened = [];
  vi.stubGlobal("WebSocket", FakeSocket);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("after the server closes a socket", () => {
  it("checks the session only when it ended or the socket was refused as signed out", async () => {
    const { afterClose } = await import("./session");
    expect(afterClose(CloseCode.SESSION_ENDED)).toBe("check-session");
    expect(afterClose(CloseCode.UNAUTHENTICATED)).toBe("check-session");
    expect(afterClose(CloseCode.MEMBERSHIP_REVOKED)).toBe("stop");
    expect(afterClose(CloseCode.NOT_FOUND)).toBe("stop");
    expect(afterClose(CloseCode.TOO_MANY_SOCKETS)).toBe("stop"); // no reconnect loop past the cap
    expect(afterClose(1006)).toBe("reconnect");
  });

  it("says the browser is signed out when the session ended and /api/me/ refuses it", async () => {
    vi.stubGlobal("fetch", answerMe(403));
    const session = await import("./session");
    const told = vi.fn();
    session.onSignedOut(told);
    expect(await session.checkSession(CloseCode.SESSION_ENDED)).toBe("signed-out");
    expect(session.isSignedOut()).toBe(true);
    expect(told).toHaveBeenCalledWith(true);
  });

  it("reconnects when the session was only replaced (its key cycled) and stops on another refusal", async () => {
    vi.stubGlobal("fetch", answerMe(200));
    const session = await import("./session");
    expect(await session.checkSession(CloseCode.SESSION_ENDED)).toBe("reconnect");
    expect(await session.checkSession(CloseCode.UNAUTHENTICATED)).toBe("stop");
    expect(session.isSignedOut()).toBe(false);
  });

  it("retries later when the server cannot be asked", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("offline"))));
    const session = await import("./session");
    expect(await session.checkSession(CloseCode.SESSION_ENDED)).toBe("retry");
    expect(session.isSignedOut()).toBe(false);
  });
});

describe("a run socket whose session ended", () => {
  it("stays closed when signed out, and the page is told", async () => {
    vi.stubGlobal("fetch", answerMe(403));
    const session = await import("./session");
    const { openRunSocket } = await import("../runs/socket");
    openRunSocket(7, () => 3, { onMessage: () => {} });
    FakeSocket.opened[0].serverCloses(CloseCode.SESSION_ENDED);
    await vi.runAllTimersAsync();
    expect(FakeSocket.opened).toHaveLength(1);
    expect(session.isSignedOut()).toBe(true);
  });

  it("resumes where it was when the browser is still signed in", async () => {
    vi.stubGlobal("fetch", answerMe(200));
    const { openRunSocket } = await import("../runs/socket");
    openRunSocket(7, () => 3, { onMessage: () => {} });
    FakeSocket.opened[0].serverCloses(CloseCode.SESSION_ENDED);
    await vi.runAllTimersAsync();
    expect(FakeSocket.opened).toHaveLength(2);
    expect(FakeSocket.opened[1].url).toMatch(/\/ws\/runs\/7\/\?resume_from=3$/);
  });
});
