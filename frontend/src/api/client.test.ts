import { describe, expect, it } from "vitest";
import { ApiError, errorMessage } from "./client";

describe("errorMessage", () => {
  it("says a problem once when the detail already names it", () => {
    const err = new ApiError(400, { detail: "user: No user with username or email 'zed'.", code: "invalid", issues: [{ field: "user", code: "invalid", message: "No user with username or email 'zed'." }] });
    expect(errorMessage(err)).toBe("user: No user with username or email 'zed'.");
  });

  it("adds what the detail does not say", () => {
    const err = new ApiError(400, { detail: "The graph cannot run (1 problem).", code: "invalid_graph", issues: [{ code: "x", message: "node `a`: label is required" }] });
    expect(errorMessage(err)).toBe("The graph cannot run (1 problem). node `a`: label is required");
  });
});
