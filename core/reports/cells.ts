import type ExcelJS from 'exceljs';
import type { ColumnSpec, Rule } from './xlsx/streaming-workbook';

/** How the workbook shows each kind of value: Excel dates and durations, numbers with their formats, text. */
export type Kind = 'text' | 'wrap' | 'datetime' | 'date' | 'duration' | 'int' | 'minutes' | 'percent' | 'bytes' | 'link' | 'hash';

export interface Col {
  header: string;
  kind: Kind;
  /** Widest the column may get (characters); long text wraps instead. */
  max?: number;
  /** A fixed width, for columns of the streamed sheets whose values are not known in advance. */
  width?: number;
}

export const RED = {
  font: { color: { argb: 'FF9C0006' } },
  fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFFFC7CE' } },
} as const;
export const GREEN = {
  font: { color: { argb: 'FF006100' } },
  fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFC6EFCE' } },
} as const;
export const AMBER = {
  font: { color: { argb: 'FF9C5700' } },
  fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFFFEB9C' } },
} as const;

export const top = { vertical: 'top' } as const;
export const STYLES: Record<Kind, Partial<ExcelJS.Style>> = {
  text: { alignment: top },
  wrap: { alignment: { ...top, wrapText: true } },
  hash: { alignment: { ...top, wrapText: true }, font: { name: 'Consolas', size: 9 } },
  link: { alignment: { ...top, wrapText: true }, font: { color: { argb: 'FF0563C1' }, underline: true, size: 9 } },
  datetime: { numFmt: 'yyyy-mm-dd hh:mm:ss', alignment: top },
  date: { numFmt: 'yyyy-mm-dd', alignment: top },
  duration: { numFmt: '[h]:mm:ss', alignment: top },
  int: { numFmt: '#,##0', alignment: top },
  minutes: { numFmt: '#,##0.0', alignment: top },
  percent: { numFmt: '0.00%', alignment: top },
  bytes: { numFmt: '#,##0', alignment: top },
};

/** Excel has no time zones: a date cell shows the wall-clock time, so local instants are shifted to it. */
export function excelLocalDate(ms: number): Date {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
}

export function toCell(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'datetime':
    case 'date':
      return typeof value === 'number' && Number.isFinite(value) ? excelLocalDate(value) : null;
    case 'duration':
      return typeof value === 'number' ? value / 86_400 : null;
    default:
      return value;
  }
}

export function localMidnightMs(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

export function spec(col: Col, width: number): ColumnSpec {
  return { header: col.header, width, style: STYLES[col.kind] };
}

/** Column widths that fit the header's longest word and the longest value, within the column's maximum. */
export function fit(cols: readonly Col[], values: readonly (readonly unknown[])[]): ColumnSpec[] {
  return cols.map((col, i) => {
    if (col.width) return spec(col, col.width);
    let widest = Math.max(...col.header.split(' ').map((w) => w.length), col.header.length <= 14 ? col.header.length : 0);
    for (const row of values) widest = Math.max(widest, displayLength(col.kind, row[i]));
    return spec(col, clamp(widest + 2, 6, col.max ?? 60));
  });
}

export function displayLength(kind: Kind, value: unknown): number {
  if (value === null || value === undefined || value === '') return 0;
  switch (kind) {
    case 'datetime':
      return 19;
    case 'date':
      return 10;
    case 'duration':
      return 9;
    case 'percent':
      return 7;
    case 'int':
    case 'bytes':
    case 'minutes':
      return Math.round(Number(value)).toLocaleString('en-US').length + (kind === 'minutes' ? 2 : 0);
    default:
      return Math.max(
        ...String(value)
          .split('\n')
          .map((line) => line.length),
      );
  }
}

export function statusRules(bad: string[], good: string[], doubtful: string[] = []): Rule[] {
  return [
    ...bad.map((v): Rule => ({ type: 'cellIs', operator: 'equal', formulae: [`"${v}"`], style: RED })),
    ...doubtful.map((v): Rule => ({ type: 'cellIs', operator: 'equal', formulae: [`"${v}"`], style: AMBER })),
    ...good.map((v): Rule => ({ type: 'cellIs', operator: 'equal', formulae: [`"${v}"`], style: GREEN })),
  ];
}

/** Red above the target in column `target` of the same row, green within it; blank when either is missing. */
export function overTarget(target: string): Rule[] {
  return [
    { type: 'expression', formulae: [`AND(ISNUMBER({cell}),ISNUMBER(${target}{row}),{cell}>${target}{row})`], style: RED },
    { type: 'expression', formulae: [`AND(ISNUMBER({cell}),ISNUMBER(${target}{row}),{cell}<=${target}{row})`], style: GREEN },
  ];
}

export function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
