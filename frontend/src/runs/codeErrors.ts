// A code param's error names the user's line first ("code: line 8: KeyError: 'incme'"): where to point.

const LINE = /^(\w+): line (\d+): /;

/** The param and line a step's error points at, if it is a code error with a line. */
export function codeErrorLine(error: string | undefined | null): { param: string; line: number } | null {
  const match = error ? LINE.exec(error) : null;
  return match ? { param: match[1], line: Number(match[2]) } : null;
}
