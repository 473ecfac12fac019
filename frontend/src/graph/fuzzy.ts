// Palette search: names match fuzzily (every query character in order, contiguous and word-start hits score
// higher); prose such as a description matches only when it holds every query word, so long texts do not match
// any scattered letters.

/** A score for how well `query` matches `text` (higher is better), or null when it does not. */
export function fuzzyScore(query: string, text: string): number | null {
  const q = query.trim().toLowerCase();
  if (q === "") return 0;
  const t = text.toLowerCase();
  const direct = t.indexOf(q);
  if (direct >= 0) return 1000 - direct + (direct === 0 || /[\s._-]/.test(t[direct - 1]) ? 200 : 0);
  let score = 0;
  let ti = 0;
  let prev = -2;
  for (const ch of q) {
    if (ch === " ") continue;
    const found = t.indexOf(ch, ti);
    if (found < 0) return null;
    score += found === prev + 1 ? 10 : 1;
    if (found === 0 || /[\s._-]/.test(t[found - 1])) score += 8;
    prev = found;
    ti = found + 1;
  }
  return score;
}

/** Whether `text` holds every word of `query`. */
export function holdsWords(query: string, text: string): boolean {
  const t = text.toLowerCase();
  return query.trim().toLowerCase().split(/\s+/).every((word) => t.includes(word));
}

/** Items matching the query, best first; ties keep their input order. `prose` fields match by whole query words. */
export function fuzzyFilter<T>(
  items: readonly T[],
  query: string,
  fields: (item: T) => string[],
  prose: (item: T) => string[] = () => [],
): T[] {
  if (query.trim() === "") return [...items];
  const scored: { item: T; score: number; index: number }[] = [];
  items.forEach((item, index) => {
    let best: number | null = null;
    fields(item).forEach((f, i) => {
      const s = fuzzyScore(query, f);
      if (s !== null) {
        const weighted = s - i * 5;
        best = best === null ? weighted : Math.max(best, weighted);
      }
    });
    if (best === null && prose(item).some((text) => holdsWords(query, text))) best = 0; // after every name hit
    if (best !== null) scored.push({ item, score: best, index });
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.map((s) => s.item);
}
