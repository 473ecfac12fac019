import { describe, expect, it } from "vitest";
import { bytes } from "./bytes";

describe("bytes", () => {
  it("keeps small sizes in bytes and larger ones in the largest unit with one decimal", () => {
    expect(bytes(0)).toBe("0 bytes");
    expect(bytes(1023)).toBe("1023 bytes");
    expect(bytes(1536)).toBe("1.5 KB");
    expect(bytes(187_990_016)).toBe("179.3 MB");
    expect(bytes(5 * 1024 ** 4)).toBe("5.0 TB");
    expect(bytes(3 * 1024 ** 5)).toBe("3072.0 TB");
  });
});
