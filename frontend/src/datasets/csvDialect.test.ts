import { describe, expect, it } from "vitest";
import { isCsvFile, readAsText } from "./csvDialect";

describe("csvDialect", () => {
  it("says how a file was read in words", () => {
    expect(readAsText({ encoding: "cp1252", separator: ";", decimal: "," })).toBe(
      "read as Windows-1252, fields separated by semicolons, decimal commas",
    );
    expect(readAsText({ encoding: "utf-8-sig", separator: "tab", decimal: "." })).toBe(
      "read as UTF-8, fields separated by tabs, decimal points",
    );
    expect(readAsText({ encoding: "koi8_r", separator: "|", decimal: "." })).toBe(
      "read as koi8_r, fields separated by pipes, decimal points",
    );
  });
  it("offers the choices for CSV files only", () => {
    expect(isCsvFile(new File([""], "sales.CSV"))).toBe(true);
    expect(isCsvFile(new File([""], "sales.txt"))).toBe(true);
    expect(isCsvFile(new File([""], "sales.Parquet"))).toBe(false);
  });
});
