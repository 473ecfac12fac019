import { act } from "react";
import { describe, expect, it } from "vitest";
import type { Storage } from "../api/types";
import { mountEach } from "../test/dom";
import { StorageLine } from "./StorageLine";

const dom = mountEach();
const MB = 1024 * 1024;
const storage = (total: number, quota: number | null): Storage => ({
  runs: 3,
  artifacts_bytes: total - MB,
  logs_bytes: 0,
  datasets_bytes: MB,
  total_bytes: total,
  quota_bytes: quota,
});
const text = (id: string) => dom.container.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;

describe("StorageLine", () => {
  it("says what the workspace uses of its quota", () => {
    act(() => dom.root.render(<StorageLine storage={storage(300 * MB, 1024 * MB)} />));
    expect(text("storage-used")).toBe("Storage used: 300.0 MB of 1.0 GB (29%) (3 runs: outputs 299.0 MB, logs 0 bytes; datasets 1.0 MB)");
    expect(text("storage-full")).toBeNull();
  });

  it("says what is refused at the quota, and how to make room", () => {
    act(() => dom.root.render(<StorageLine storage={storage(1024 * MB, 1024 * MB)} />));
    expect(text("storage-used")).toContain("1.0 GB of 1.0 GB (100%)");
    expect(text("storage-full")).toBe("This workspace is at its storage quota: uploads and new runs are refused. Delete runs or datasets it no longer needs to make room.");
  });

  it("shows the usage alone when there is no quota", () => {
    act(() => dom.root.render(<StorageLine storage={storage(2 * MB, null)} />));
    expect(text("storage-used")).toBe("Storage used: 2.0 MB (3 runs: outputs 1.0 MB, logs 0 bytes; datasets 1.0 MB)");
    expect(text("storage-full")).toBeNull();
  });
});
