/**
 * The statistics of repeated measurements, shared by `parget bench` and the peer comparison
 * (bench/): the median that counts, the min and max beside it, and how far apart they are.
 * Pure: numbers in, numbers out.
 */

/** A set of repeats, summarised. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: 0.2 means the repeats ranged over a fifth of their median. */
  spread: number;
  count: number;
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("the median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of the finite values given; undefined when there are none (nothing was measured). */
export function medianOfKnown(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length === 0 ? undefined : median(known);
}

export function spreadOf(values: readonly number[]): Spread {
  const mid = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: mid, min, max, spread: mid === 0 ? 0 : (max - min) / mid, count: values.length };
}
