import { capitalise, STYLES, toCell, top } from '../cells';
import type { EvidenceItem } from '../evidence';
import type { StreamingWorkbook } from '../xlsx/streaming-workbook';

/**
 * One printed page per piece of evidence: the stamp (VM, drill, capture time, SHA-256, file in the export)
 * above the picture, the picture as wide as the page allows, and the hash again under it so a printout
 * cut apart still carries it. A console screenshot is light text on black: a thumbnail of it prints as a
 * black box, so it is shown at page width (up to 3× its size) instead.
 */

/** Columns A and B are about 710 px wide together; the picture keeps a margin inside that. */
const WIDTHS = [18, 82];
const MAX_WIDTH_PX = 690;
/** Excel's tallest row is 409 pt (545 px): the picture sits inside one row. */
const MAX_HEIGHT_PX = 540;
const MAX_SCALE = 3;

export function pictureSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(MAX_SCALE, MAX_WIDTH_PX / width, MAX_HEIGHT_PX / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export function writeEvidenceSheet(book: StreamingWorkbook, items: readonly EvidenceItem[], footer: string): void {
  const sheet = book.addPlainSheet({ name: 'Evidence', widths: WIDTHS, footer, tabColor: 'FF7F6000' });
  const label = { font: { bold: true }, alignment: top } as const;
  const value = { alignment: { ...top, wrapText: true, horizontal: 'left' } } as const;
  const hash = { ...STYLES.hash, alignment: { ...top, horizontal: 'left' } } as const;
  const link = { font: { color: { argb: 'FF0563C1' }, underline: true }, alignment: { ...top, wrapText: true } } as const;
  const when = { ...STYLES.datetime, alignment: { ...top, horizontal: 'left' } } as const;
  const title = { font: { bold: true, size: 14, color: { argb: 'FF1F4E79' } }, alignment: top } as const;

  if (items.length === 0) {
    sheet.addRow(['No drill in the period captured a screenshot.'], [{ font: { italic: true } }]);
    sheet.finish();
    return;
  }
  items.forEach((item, index) => {
    const { drill, vm } = item;
    sheet.addRow([`${item.label} — console screenshot of ${vm.vm}`], [title], 22);
    sheet.addRow(['VM', vm.vmId ? `${vm.vm} (VM id ${vm.vmId})` : vm.vm], [label, value]);
    sheet.addRow(['Drill', `${drill.plan} (${capitalise(drill.kind)}, ${capitalise(vm.status)}), drill id ${drill.id}`], [label, value]);
    sheet.addRow(['Drill started', toCell('datetime', Date.parse(drill.startedAt))], [label, when]);
    sheet.addRow(['Captured', toCell('datetime', item.capturedAt)], [label, when]);
    sheet.addRow(['SHA-256', item.sha256], [label, hash]);
    // Relative to the workbook's folder, on two lines of their own: with a default file name the path is longer
    // than the page is wide, and LibreOffice breaks neither a hyperlink's text nor this text where it is told to.
    const [folder, ...inFolder] = item.relPath.split('/');
    sheet.addRow(['Evidence folder', `${folder}/ (beside this workbook)`], [label, value]);
    sheet.addRow(['File in it', inFolder.join('/')], [label, value]);
    sheet.addRow(['', { text: 'Open the copy beside this workbook', hyperlink: encodeURI(item.relPath) }], [label, link]);
    if (item.picture) {
      const shown = pictureSize(item.picture.width, item.picture.height);
      sheet.addRow(
        [
          'Size',
          `${item.picture.width} × ${item.picture.height} px, ${item.bytes.toLocaleString('en-US')} bytes; shown at ${Math.round((100 * shown.width) / item.picture.width)}%`,
        ],
        [label, value],
      );
      const excelRow = sheet.addRow([''], [], Math.ceil(shown.height * 0.75) + 8);
      sheet.addPicture({
        imageId: book.addPng('file' in item.picture.embed ? item.picture.embed.file : item.picture.embed),
        col: 0,
        excelRow,
        widthPx: shown.width,
        heightPx: shown.height,
        name: `${item.label}: console screenshot of ${vm.vm}, drill ${drill.id}`,
      });
    } else {
      sheet.addRow(['Size', `${item.bytes.toLocaleString('en-US')} bytes; not a PNG, so not shown here: open the file.`], [label, value]);
    }
    const last = sheet.addRow(
      [`${item.label} · ${vm.vm} · drill ${drill.id} · SHA-256 ${item.sha256}`],
      [{ font: { size: 8, color: { argb: 'FF595959' } }, alignment: top }],
    );
    if (index < items.length - 1) sheet.addPageBreak(last);
  });
  sheet.finish();
}
