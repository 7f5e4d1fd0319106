import ExcelJS from 'exceljs';
import { LifeboatError } from '../contract/errors';

const ANCHOR = /Audit anchor: entry (\d+), hash ([0-9a-f]{64})\b/;

/** The line every workbook's Audit log sheet carries: the log's end when the workbook was written. */
export function workbookAnchorText(seq: number, hash: string): string {
  return `Audit anchor: entry ${seq}, hash ${hash} (check it with: lifeboat audit verify --workbook <this file>).`;
}

/** The anchor of a workbook Lifeboat exported, or null when it holds none. */
export async function readWorkbookAnchor(file: string): Promise<{ seq: number; hash: string } | null> {
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.readFile(file);
  } catch (error) {
    throw new LifeboatError('INVALID_INPUT', `${file} cannot be read as a workbook: ${(error as Error).message}.`, {
      fix: 'Give the path of an .xlsx file that Lifeboat exported.',
      field: 'workbook',
      cause: error,
    });
  }
  const sheet = book.getWorksheet('Audit log');
  if (!sheet) return null;
  for (let row = 1; row <= Math.min(sheet.rowCount, 10); row++) {
    const text = sheet.getRow(row).getCell(1).text;
    const match = ANCHOR.exec(text);
    if (match) return { seq: Number(match[1]), hash: match[2]! };
  }
  return null;
}
