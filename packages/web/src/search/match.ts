/**
 * Where a search term occurs in a message's text, as the SDK's search matches it
 * (any case, Unicode toLowerCase), and the snippet a result shows: the words around
 * the first match. Pure: no DOM.
 */

/** Start and end (UTF-16 offsets into `text`) of each match of `term`, in order, not overlapping. */
export function matchRanges(text: string, term: string): Array<readonly [number, number]> {
  const needle = term.toLowerCase();
  const hay = text.toLowerCase();
  // Why: where lowercasing changes a string's length (a few scripts), offsets would not line up; mark nothing.
  if (!needle || hay.length !== text.length) return [];
  const out: Array<readonly [number, number]> = [];
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) out.push([at, at + needle.length]);
  return out;
}

/** Characters of context on each side of the first match in a snippet. */
export const SNIPPET_CONTEXT = 32;

/** The text around the first match ("…before", the match, "after…"), on one line; the start of the text if none. */
export function snippet(text: string, term: string, context = SNIPPET_CONTEXT): { readonly before: string; readonly match: string; readonly after: string } {
  const line = text.replace(/\s+/g, ' ');
  const first = matchRanges(line, term)[0];
  if (!first) return { before: '', match: '', after: line.length > context * 2 ? `${line.slice(0, context * 2)}…` : line };
  const [s, e] = first;
  const from = Math.max(0, s - context);
  const to = Math.min(line.length, e + context);
  return { before: `${from > 0 ? '…' : ''}${line.slice(from, s)}`, match: line.slice(s, e), after: `${line.slice(e, to)}${to < line.length ? '…' : ''}` };
}
