import type ExcelJS from 'exceljs';

export function sheetOf(book: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const ws = book.getWorksheet(name);
  if (!ws) throw new Error(`no sheet ${name}`);
  return ws;
}

/** Header row values and the data rows below it (up to the last non-empty row). */
export function tableOf(book: ExcelJS.Workbook, name: string, headerRow = 1): { headers: string[]; rows: ExcelJS.Row[] } {
  const ws = sheetOf(book, name);
  const headers = (ws.getRow(headerRow).values as unknown[]).slice(1).map(String);
  const rows: ExcelJS.Row[] = [];
  for (let r = headerRow + 1; r <= ws.rowCount; r++) if (ws.getRow(r).hasValues) rows.push(ws.getRow(r));
  return { headers, rows };
}

/** Summary label (column A) → value (column B). */
export function summaryOf(book: ExcelJS.Workbook): Map<string, unknown> {
  const map = new Map<string, unknown>();
  sheetOf(book, 'Summary').eachRow((row) => {
    const label = row.getCell(1).value;
    if (typeof label === 'string') map.set(label, row.getCell(2).value);
  });
  return map;
}
