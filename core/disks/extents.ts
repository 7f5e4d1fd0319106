import type { Extent } from './types';

/** Collects extents added in ascending order, merging touching or overlapping neighbours. */
export class ExtentBuilder {
  private readonly list: Extent[] = [];

  add(offset: number, length: number): void {
    if (length <= 0) return;
    const last = this.list.at(-1);
    if (last && offset <= last.offset + last.length) {
      last.length = Math.max(last.length, offset + length - last.offset);
    } else {
      this.list.push({ offset, length });
    }
  }

  get extents(): Extent[] {
    return this.list;
  }
}

/** The union of two ascending extent lists, merged. */
export function unionExtents(a: readonly Extent[], b: readonly Extent[]): Extent[] {
  const out = new ExtentBuilder();
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]!.offset <= b[j]!.offset) ? a[i++]! : b[j++]!;
    out.add(next.offset, next.length);
  }
  return out.extents;
}

/** Extents shifted by `delta` (an extent file's ranges placed at its position in the whole disk). */
export function shiftExtents(list: readonly Extent[], delta: number): Extent[] {
  return list.map(({ offset, length }) => ({ offset: offset + delta, length }));
}
