/**
 * The written part of a file as a few spans, for a progress event and a range map: a big file
 * resumed many times, or fetched in many pieces, can have thousands of extents, and a picture
 * of it needs at most a few hundred. Pure, no I/O.
 */

/** The most spans a progress event carries. */
export const WRITTEN_SPANS_MAX = 256;

/**
 * Sorted, disjoint [start, end) spans, at most `max` of them: the narrowest gaps are closed first
 * (their bytes then count as written), so the widest holes stay exact.
 */
export function coarsenSpans(
  spans: readonly { start: number; end: number }[],
  max: number = WRITTEN_SPANS_MAX,
): [number, number][] {
  const sorted = spans
    .filter((s) => s.end > s.start)
    .map((s): [number, number] => [s.start, s.end])
    .sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const span of sorted) {
    const last = joined[joined.length - 1];
    if (last !== undefined && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else joined.push(span);
  }
  if (joined.length <= max) return joined;
  // Keep the max - 1 widest gaps (ties: the earlier one); close the others.
  const gaps = joined
    .slice(1)
    .map((span, i) => ({ after: i, width: span[0] - joined[i]![1] }))
    .sort((a, b) => b.width - a.width || a.after - b.after)
    .slice(0, Math.max(0, max - 1));
  const kept = new Set(gaps.map((g) => g.after));
  const result: [number, number][] = [[...joined[0]!]];
  for (let i = 1; i < joined.length; i++) {
    if (kept.has(i - 1)) result.push([...joined[i]!]);
    else result[result.length - 1]![1] = joined[i]![1];
  }
  return result;
}
