// A small tokenizer that highlights Python and SQL for the code editor (keywords, strings, comments, numbers).

export type TokenKind = "keyword" | "string" | "comment" | "number" | "builtin" | "plain";
export interface Token {
  kind: TokenKind;
  text: string;
}

const PY_KEYWORDS = new Set(
  "and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield".split(" "),
);
const PY_BUILTINS = new Set("print len range list dict set tuple int float str bool sum min max sorted enumerate zip map filter abs round isinstance".split(" "));
const SQL_KEYWORDS = new Set(
  "select from where group by order having limit offset join left right inner outer full cross on as and or not in is null like between case when then else end distinct union all insert update delete create table with desc asc count sum avg min max cast over partition".split(" "),
);

const PATTERNS: Record<"python" | "sql", RegExp> = {
  python: /(#[^\n]*)|("""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g,
  sql: /(--[^\n]*)|('(?:''|[^'])*'?|"(?:[^"])*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g,
};

export function tokenize(code: string, language: string | undefined): Token[] {
  const lang = language === "sql" ? "sql" : "python";
  const re = new RegExp(PATTERNS[lang].source, "g");
  const tokens: Token[] = [];
  let last = 0;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    if (m.index > last) tokens.push({ kind: "plain", text: code.slice(last, m.index) });
    let kind: TokenKind = "plain";
    if (m[1] !== undefined) kind = "comment";
    else if (m[2] !== undefined) kind = "string";
    else if (m[3] !== undefined) kind = "number";
    else if (m[4] !== undefined) {
      const word = m[4];
      if (lang === "python") kind = PY_KEYWORDS.has(word) ? "keyword" : PY_BUILTINS.has(word) ? "builtin" : "plain";
      else kind = SQL_KEYWORDS.has(word.toLowerCase()) ? "keyword" : "plain";
    }
    tokens.push({ kind, text: m[0] });
    last = m.index + m[0].length;
    if (m[0].length === 0) re.lastIndex += 1;
  }
  if (last < code.length) tokens.push({ kind: "plain", text: code.slice(last) });
  return tokens;
}
