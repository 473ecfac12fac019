// How a CSV upload is read: the choices the upload form offers, and a sentence saying how the server read a file.
import type { CsvDialect } from "../api/types";

export interface CsvChoices {
  encoding: string;
  separator: string;
  decimal: string;
}

export const AUTO_CHOICES: CsvChoices = { encoding: "auto", separator: "auto", decimal: "auto" };

/** [value the API takes, label] per choice; `auto` first. Any other encoding can be typed through the API. */
export const ENCODINGS: [string, string][] = [
  ["auto", "Detect"],
  ["utf-8", "UTF-8"],
  ["cp1252", "Windows-1252 (Western Europe)"],
  ["iso-8859-1", "ISO-8859-1 (Latin-1)"],
  ["iso-8859-15", "ISO-8859-15 (Latin-9)"],
  ["cp1250", "Windows-1250 (Central Europe)"],
  ["cp1251", "Windows-1251 (Cyrillic)"],
  ["cp1253", "Windows-1253 (Greek)"],
  ["cp1254", "Windows-1254 (Turkish)"],
  ["shift_jis", "Shift JIS (Japanese)"],
  ["gb18030", "GB18030 (Chinese)"],
  ["euc-kr", "EUC-KR (Korean)"],
  ["utf-16", "UTF-16"],
];

export const SEPARATORS: [string, string][] = [
  ["auto", "Detect"],
  [",", "Comma ,"],
  [";", "Semicolon ;"],
  ["tab", "Tab"],
  ["|", "Pipe |"],
];

export const DECIMALS: [string, string][] = [
  ["auto", "Detect"],
  [".", "Point 1.5"],
  [",", "Comma 1,5"],
];

const ENCODING_NAMES: Record<string, string> = {
  "utf-8": "UTF-8",
  "utf-8-sig": "UTF-8",
  "utf-16": "UTF-16",
  cp1252: "Windows-1252",
  "iso8859-1": "ISO-8859-1",
  "iso8859-15": "ISO-8859-15",
  cp1250: "Windows-1250",
  cp1251: "Windows-1251",
  cp1253: "Windows-1253",
  cp1254: "Windows-1254",
  shift_jis: "Shift JIS",
  gb18030: "GB18030",
  euc_kr: "EUC-KR",
};

const SEPARATOR_NAMES: Record<string, string> = { ",": "commas", ";": "semicolons", tab: "tabs", "|": "pipes" };

/** Whether a file is read as CSV (the dialect choices apply), not Parquet. */
export function isCsvFile(file: File): boolean {
  return !file.name.toLowerCase().endsWith(".parquet");
}

/** "read as Windows-1252, fields separated by semicolons, decimal commas". */
export function readAsText(dialect: CsvDialect): string {
  const encoding = ENCODING_NAMES[dialect.encoding] ?? dialect.encoding;
  const decimal = dialect.decimal === "," ? "decimal commas" : "decimal points";
  return `read as ${encoding}, fields separated by ${SEPARATOR_NAMES[dialect.separator] ?? dialect.separator}, ${decimal}`;
}
