import { describe, expect, it } from 'vitest';
import { pngSize } from '../../core/reports/png';
import { columnLetter, wrappedLines, xmlText } from '../../core/reports/xlsx/streaming-workbook';
import { consolePng } from '../helpers/seed-catalog';

describe('workbook helpers', () => {
  it('names columns as Excel does', () => {
    expect([1, 12, 26, 27, 52, 53, 702, 703].map(columnLetter)).toEqual(['A', 'L', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
  });

  it('escapes text for XML parts', () => {
    expect(xmlText(`Ben & Jerry's <"IT">`)).toBe('Ben &amp; Jerry&apos;s &lt;&quot;IT&quot;&gt;');
  });

  it('estimates wrapped lines per line break and width', () => {
    expect(wrappedLines('short', 20)).toBe(1);
    expect(wrappedLines('a'.repeat(100), 21)).toBe(5);
    expect(wrappedLines('one\ntwo\nthree', 40)).toBe(3);
    expect(wrappedLines('0'.repeat(64), 36, 9)).toBe(2);
  });

  it('reads PNG dimensions and rejects anything else', () => {
    expect(pngSize(consolePng(320, 200, true))).toEqual({ width: 320, height: 200 });
    expect(pngSize(Buffer.from('P6\n640 480\n255\n'))).toBeNull();
    expect(pngSize(Buffer.alloc(0))).toBeNull();
  });
});
