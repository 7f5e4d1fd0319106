import { once } from 'node:events';
import type ExcelJS from 'exceljs';

/**
 * exceljs 4.4's streaming WorkbookWriter keeps memory flat for a million rows, but it lacks three things an
 * auditor's workbook needs, which this module adds on top of it:
 *
 * - Excel tables (ListObjects with their own autofilter): the streaming writer has no addTable
 *   (exceljs#1412). We write xl/tables/tableN.xml ourselves, relate it from the sheet, and end the sheet
 *   with <tableParts>.
 * - Embedded pictures: the streaming writer has no worksheet.addImage (exceljs#322, #2918). We register the
 *   PNG as workbook media (which the writer does support, streamed from disk), and write the sheet's
 *   drawing part (xl/drawings/drawingN.xml + its rels) with one-cell anchors, plus <drawing> in the sheet.
 * - Element order: the streaming writer puts <hyperlinks> before <conditionalFormatting>, which Excel
 *   rejects as corrupt (exceljs#2803, #2784). We write the hyperlinks after the data validations instead.
 *
 * It also adds backpressure: the writer pipes each sheet into the zip without waiting, so a fast producer
 * buffers the whole sheet in memory. `SheetWriter.drain()` waits until the zip has consumed what was written.
 *
 * These hooks reach into exceljs internals (WorksheetWriter's _write* steps, the sheet rels writer, the zip);
 * package.json pins exceljs to 4.4.0 exactly, and test/integration/report-workbook.test.ts reads every added
 * part back with exceljs itself and LibreOffice, so an upgrade that breaks them fails the tests.
 */

const REL_TABLE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/table';
const REL_DRAWING = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing';
const REL_IMAGE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/image';
const CT_TABLE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml';
const CT_DRAWING = 'application/vnd.openxmlformats-officedocument.drawing+xml';
const EMU_PER_PIXEL = 9525;
/** How much of a sheet may wait in memory for the zip before the producer pauses. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The parts of exceljs's streaming classes this module uses; the published typings describe the non-streaming API. */
interface StreamBufLike {
  pipes?: { _writableState?: { length: number } }[];
}
interface SheetRelsWriterLike {
  addRelationship(rel: { Target: string; Type: string }): string;
}
interface ZipLike {
  append(source: string | Buffer | NodeJS.ReadableStream, data: { name: string }): unknown;
}
interface WorksheetWriterLike {
  readonly stream: StreamBufLike;
  columns: Partial<ExcelJS.Column>[];
  addRow(values: unknown[]): ExcelJS.Row;
  addConditionalFormatting(cf: ExcelJS.ConditionalFormattingOptions): void;
  commit(): void;
  _sheetRelsWriter: SheetRelsWriterLike;
  _write(text: string): void;
  _writeHyperlinks(): void;
  _writeDataValidations(): void;
  _writeLegacyData(): void;
  _writeCloseWorksheet(): void;
  rowBreaks: { id: number; max: number; man: number }[];
}
interface WorkbookWriterLike {
  zip: ZipLike & { abort(): void };
  stream: NodeJS.WritableStream & { destroy(): void; closed?: boolean };
  creator: string;
  lastModifiedBy: string;
  created: Date;
  modified: Date;
  title?: string;
  subject?: string;
  keywords?: string;
  description?: string;
  category?: string;
  addWorksheet(name: string, options: Partial<ExcelJS.AddWorksheetOptions>): WorksheetWriterLike;
  addImage(image: { filename: string; extension: 'png' } | { buffer: Buffer; extension: 'png' }): number;
  commit(): Promise<unknown>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A conditional-format rule; the writer numbers priorities itself. Formulae may use {cell} and {row}. */
export type Rule = DistributiveOmit<ExcelJS.ConditionalFormattingRule, 'priority'>;

export interface DocumentProperties {
  title: string;
  subject: string;
  creator: string;
  company: string;
  keywords: string;
  description: string;
  category: string;
  created: Date;
}

export interface ColumnSpec {
  header: string;
  /** Width in characters. */
  width: number;
  style: Partial<ExcelJS.Style>;
}

export interface SheetOptions {
  name: string;
  columns: ColumnSpec[];
  /** Excel table name (letters, digits, underscores); the header row becomes the table's header. */
  tableName: string;
  /** Lines written above the table (e.g. the audit chain's verification result). */
  preface?: { values: unknown[]; style?: Partial<ExcelJS.Style>; height?: number }[];
  footer: string;
  tabColor?: string;
  /** Freeze this many columns besides the header row (e.g. the VM name). */
  frozenColumns?: number;
}

export interface PictureAnchor {
  imageId: number;
  /** Zero-based column and row of the cell the picture sits in. */
  col: number;
  row: number;
  widthPx: number;
  heightPx: number;
  name: string;
}

export class StreamingWorkbook {
  private readonly writer: WorkbookWriterLike;
  private readonly contentOverrides: string[] = [];
  private tableCount = 0;
  private drawingCount = 0;

  /** exceljs is loaded here, on first export, not when the engine or a CLI command starts (it costs ~0.2 s). */
  static async create(file: string, props: DocumentProperties): Promise<StreamingWorkbook> {
    const { default: excel } = await import('exceljs');
    return new StreamingWorkbook(
      new excel.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: false }) as unknown as WorkbookWriterLike,
      props,
    );
  }

  private constructor(
    writer: WorkbookWriterLike,
    private readonly props: DocumentProperties,
  ) {
    this.writer = writer;
    Object.assign(this.writer, {
      creator: props.creator,
      lastModifiedBy: props.creator,
      created: props.created,
      modified: props.created,
      title: props.title,
      subject: props.subject,
      keywords: props.keywords,
      description: props.description,
      category: props.category,
    });
    const zip = this.writer.zip;
    const append = zip.append.bind(zip);
    // The writer builds [Content_Types].xml and docProps/app.xml from what it knows; add what it does not.
    zip.append = (source, data) => {
      if (typeof source === 'string' && data.name === '[Content_Types].xml')
        source = source.replace('</Types>', `${this.contentOverrides.join('')}</Types>`);
      if (typeof source === 'string' && data.name === 'docProps/app.xml')
        source = source.replace('</Properties>', `<Company>${xmlText(this.props.company)}</Company></Properties>`);
      return append(source, data);
    };
  }

  /** A PNG from disk (streamed into the zip when the workbook is committed) or from memory. */
  addPng(source: string | { buffer: Buffer }): number {
    return this.writer.addImage(
      typeof source === 'string' ? { filename: source, extension: 'png' } : { buffer: source.buffer, extension: 'png' },
    );
  }

  addSheet(options: SheetOptions): SheetWriter {
    return new SheetWriter(this, options);
  }

  /** A free-form sheet (the Summary, the Evidence pages): rows with their own styles, no table. */
  addPlainSheet(options: { name: string; widths: number[]; footer: string; tabColor?: string }): PlainSheetWriter {
    const ws = this.writer.addWorksheet(options.name, {
      properties: options.tabColor ? { tabColor: { argb: options.tabColor } } : {},
      views: [{ state: 'normal', showGridLines: false }],
      pageSetup: { ...PAGE_SETUP, orientation: 'portrait' },
      headerFooter: { oddFooter: pageFooter(options.footer), oddHeader: '' },
    });
    ws.columns = options.widths.map((width) => ({ width }));
    return new PlainSheetWriter(this, ws, options.widths);
  }

  async commit(): Promise<void> {
    await this.writer.commit();
  }

  /** Stops writing and closes the file, so it can be deleted (Windows refuses to delete an open file). */
  async abort(): Promise<void> {
    const stream = this.writer.stream;
    this.writer.zip.abort();
    if (stream.closed) return;
    const closed = once(stream as unknown as NodeJS.EventEmitter, 'close');
    stream.destroy();
    await closed;
  }

  /** @internal */
  get raw(): WorkbookWriterLike {
    return this.writer;
  }

  /** @internal */
  addPart(name: string, xml: string, contentType: string | null): void {
    this.writer.zip.append(xml, { name });
    if (contentType) this.contentOverrides.push(`<Override PartName="/${name}" ContentType="${contentType}"/>`);
  }

  /** @internal */
  nextTable(): number {
    return ++this.tableCount;
  }

  /** @internal */
  nextDrawing(): number {
    return ++this.drawingCount;
  }
}

export class SheetWriter {
  private readonly ws: WorksheetWriterLike;
  readonly headerRow: number;
  private lastRow: number;
  private readonly pictures: PictureAnchor[] = [];
  private readonly rules: { columns: number[]; rules: Rule[] }[] = [];
  private finished = false;

  constructor(
    private readonly book: StreamingWorkbook,
    private readonly options: SheetOptions,
  ) {
    const preface = options.preface ?? [];
    this.headerRow = preface.length + 1;
    this.ws = book.raw.addWorksheet(options.name, {
      properties: options.tabColor ? { tabColor: { argb: options.tabColor } } : {},
      views: [
        {
          state: 'frozen',
          xSplit: options.frozenColumns ?? 0,
          ySplit: this.headerRow,
          topLeftCell: `${columnLetter((options.frozenColumns ?? 0) + 1)}${this.headerRow + 1}`,
          activeCell: `A${this.headerRow + 1}`,
        },
      ],
      pageSetup: { ...PAGE_SETUP, printTitlesRow: `${this.headerRow}:${this.headerRow}` },
      headerFooter: { oddFooter: pageFooter(options.footer), oddHeader: '' },
    });
    // Excel wants <hyperlinks> after <conditionalFormatting> and <dataValidations>: write them there.
    const writeHyperlinks = this.ws._writeHyperlinks.bind(this.ws);
    const writeValidations = this.ws._writeDataValidations.bind(this.ws);
    this.ws._writeHyperlinks = () => undefined;
    this.ws._writeDataValidations = () => {
      writeValidations();
      writeHyperlinks();
    };
    this.ws.columns = options.columns.map((c) => ({ width: c.width }));

    for (const line of preface) {
      const row = this.ws.addRow(line.values);
      if (line.style) row.eachCell((cell) => (cell.style = line.style!));
      if (line.height) row.height = line.height;
      row.commit();
    }
    const header = this.ws.addRow(options.columns.map((c) => c.header));
    header.height = 30;
    header.eachCell((cell) => (cell.style = HEADER_STYLE));
    header.commit();
    this.lastRow = this.headerRow;
  }

  /** Appends a data row; cell styles come from the column specs (shared objects, so exceljs caches them). */
  addRow(values: unknown[], options: { height?: number } = {}): number {
    const row = this.ws.addRow(values);
    const columns = this.options.columns;
    let lines = 1;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      row.getCell(i + 1).style = column.style;
      const value = values[i];
      const text = wrappable(value);
      if (column.style.alignment?.wrapText && text !== null)
        lines = Math.max(lines, wrappedLines(text, column.width, column.style.font?.size ?? 11));
    }
    // Neither Excel nor LibreOffice grows a row for wrapped text on opening a file: give it the height it
    // needs, up to a dozen lines (long JSON details stay in the cell, readable when it is selected).
    lines = Math.min(lines, MAX_WRAPPED_LINES);
    const height = Math.min(MAX_ROW_HEIGHT_PT, Math.max(options.height ?? 0, lines > 1 ? Math.ceil(lines * LINE_HEIGHT_PT) + 3 : 0));
    if (height > 0) row.height = height;
    row.commit();
    return ++this.lastRow;
  }

  get rowCount(): number {
    return this.lastRow - this.headerRow;
  }

  /** The row number the next addRow writes. */
  get nextRow(): number {
    return this.lastRow + 1;
  }

  /** Places a picture inside a cell (zero-based column, one-based row as Excel numbers them). */
  addPicture(picture: Omit<PictureAnchor, 'row'> & { excelRow: number }): void {
    const { excelRow, ...rest } = picture;
    this.pictures.push({ ...rest, row: excelRow - 1 });
  }

  /** Red/green rules over whole data columns (1-based column numbers), applied when the sheet is finished. */
  addRules(columns: number[], rules: Rule[]): void {
    this.rules.push({ columns, rules });
  }

  /** Waits while the zip is behind: keeps memory bounded however many rows are written. */
  async drain(): Promise<void> {
    for (;;) {
      const pass = this.ws.stream.pipes?.[0];
      const buffered = pass?._writableState?.length ?? 0;
      if (!pass || buffered <= MAX_BUFFERED_BYTES) break;
      await Promise.race([once(pass as unknown as NodeJS.EventEmitter, 'drain'), new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Writes the table, rules and pictures and closes the sheet; the next sheet may start after this. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const columns = this.options.columns;
    // A table needs at least one data row; an empty period gets one empty row inside the table.
    const tableEnd = Math.max(this.lastRow, this.headerRow + 1);
    const firstData = this.headerRow + 1;
    if (this.lastRow >= firstData) {
      let priority = 0;
      for (const { columns: cols, rules } of this.rules) {
        for (const col of cols) {
          const letter = columnLetter(col);
          // Priorities must be unique within a sheet: number the rules in the order they were added.
          const numbered = rules.map(
            (rule) => ({ ...relativeTo(rule, letter, firstData), priority: ++priority }) as ExcelJS.ConditionalFormattingRule,
          );
          this.ws.addConditionalFormatting({ ref: `${letter}${firstData}:${letter}${this.lastRow}`, rules: numbered });
        }
      }
    }

    const rels = this.ws._sheetRelsWriter;
    attachDrawing(this.book, this.ws, this.pictures);

    const tableId = this.book.nextTable();
    const tableRId = rels.addRelationship({ Target: `../tables/table${tableId}.xml`, Type: REL_TABLE });
    const ref = `A${this.headerRow}:${columnLetter(columns.length)}${tableEnd}`;
    this.book.addPart(
      `xl/tables/table${tableId}.xml`,
      tableXml(
        tableId,
        this.options.tableName,
        ref,
        columns.map((c) => c.header),
      ),
      CT_TABLE,
    );

    // <tableParts> is the last element of a worksheet but for extLst.
    this.ws._writeCloseWorksheet = () => this.ws._write(`<tableParts count="1"><tablePart r:id="${tableRId}"/></tableParts></worksheet>`);
    this.ws.commit();
  }
}

/** A4 landscape, as wide as one page and as many pages tall as it takes. */
const PAGE_SETUP: Partial<ExcelJS.PageSetup> = {
  orientation: 'landscape',
  paperSize: 9,
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
};

/** Relates a drawing with the sheet's pictures to it, written where the schema wants <drawing>. */
function attachDrawing(book: StreamingWorkbook, ws: WorksheetWriterLike, pictures: PictureAnchor[]): void {
  if (pictures.length === 0) return;
  const n = book.nextDrawing();
  const rId = ws._sheetRelsWriter.addRelationship({ Target: `../drawings/drawing${n}.xml`, Type: REL_DRAWING });
  const { xml, relsXml } = drawingParts(pictures, (id) => `../media/image${id}.png`);
  book.addPart(`xl/drawings/drawing${n}.xml`, xml, CT_DRAWING);
  book.addPart(`xl/drawings/_rels/drawing${n}.xml.rels`, relsXml, null);
  // <drawing> precedes <legacyDrawing>.
  const writeLegacy = ws._writeLegacyData.bind(ws);
  ws._writeLegacyData = () => {
    ws._write(`<drawing r:id="${rId}"/>`);
    writeLegacy();
  };
}

export class PlainSheetWriter {
  private rows = 0;
  private priority = 0;
  private readonly pictures: PictureAnchor[] = [];

  constructor(
    private readonly book: StreamingWorkbook,
    private readonly ws: WorksheetWriterLike,
    private readonly widths: number[],
  ) {}

  /** The row number the next addRow writes. */
  get nextRow(): number {
    return this.rows + 1;
  }

  /** Places a picture at a cell (zero-based column, one-based row as Excel numbers them). */
  addPicture(picture: Omit<PictureAnchor, 'row'> & { excelRow: number }): void {
    const { excelRow, ...rest } = picture;
    this.pictures.push({ ...rest, row: excelRow - 1 });
  }

  /** A printed page ends after this row. */
  addPageBreak(excelRow: number): void {
    this.ws.rowBreaks.push({ id: excelRow, max: 16383, man: 1 });
  }

  /** Appends a row; `styles[i]` styles cell i+1 (a single style applies to every value given). */
  addRow(values: unknown[], styles: Partial<ExcelJS.Style> | (Partial<ExcelJS.Style> | undefined)[] = [], height?: number): number {
    const row = this.ws.addRow(values);
    const count = Math.max(values.length, Array.isArray(styles) ? styles.length : 0);
    let lines = 1;
    for (let i = 0; i < count; i++) {
      const style = Array.isArray(styles) ? styles[i] : styles;
      if (style) row.getCell(i + 1).style = style;
      const value = values[i];
      const text = wrappable(value);
      if (style?.alignment?.wrapText && text !== null)
        lines = Math.max(lines, wrappedLines(text, this.widths[i] ?? 10, style.font?.size ?? 11));
    }
    height ??= lines > 1 ? Math.ceil(lines * LINE_HEIGHT_PT) + 3 : undefined;
    if (height) row.height = height;
    row.commit();
    return ++this.rows;
  }

  addRules(ref: string, rules: Rule[]): void {
    this.ws.addConditionalFormatting({
      ref,
      rules: rules.map((rule) => ({ ...rule, priority: ++this.priority }) as ExcelJS.ConditionalFormattingRule),
    });
  }

  finish(): void {
    attachDrawing(this.book, this.ws, this.pictures);
    this.ws.commit();
  }
}

export const HEADER_STYLE: Partial<ExcelJS.Style> = {
  font: { bold: true, color: { argb: 'FFFFFFFF' } },
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } },
  alignment: { vertical: 'middle', wrapText: true },
};

/** A rule's formulae are written for the column's first data cell (e.g. F2); exceljs passes them through. */
function relativeTo(rule: Rule, letter: string, firstRow: number): Rule {
  if (!('formulae' in rule) || !rule.formulae) return rule;
  return {
    ...rule,
    formulae: rule.formulae.map((f: string) => f.replaceAll('{cell}', `${letter}${firstRow}`).replaceAll('{row}', String(firstRow))),
  };
}

export function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

export function xmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Header/footer text: "&" starts a code there, so a literal one is doubled. */
const LINE_HEIGHT_PT = 13;
const MAX_WRAPPED_LINES = 12;
/** Excel's limit. */
const MAX_ROW_HEIGHT_PT = 409;

/** The text a cell shows: a string, or a hyperlink's text. */
function wrappable(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'text' in value && typeof value.text === 'string') return value.text;
  return null;
}

/**
 * About how many lines a wrapped cell needs. A column's width counts widest digits of the 11-point default
 * font; average proportional text is about 15% narrower.
 */
export function wrappedLines(text: string, width: number, fontSize = 11): number {
  const perLine = Math.max(1, Math.floor((width - 1) * 1.15 * (11 / fontSize)));
  return text.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / perLine)), 0);
}

/**
 * Report and organisation on the left, sheet and page number on the right: a centred page number ran into a
 * long organisation name on portrait pages (the Evidence sheet prints at 100%).
 */
function pageFooter(footer: string): string {
  // A digit right after "&9" would be read as part of the font size.
  const text = footer.replace(/&/g, '&&');
  return `&L&9${/^\d/.test(text) ? ' ' : ''}${text}&R&9&A — Page &P of &N`;
}

function tableXml(id: number, name: string, ref: string, headers: string[]): string {
  const columns = headers.map((h, i) => `<tableColumn id="${i + 1}" name="${xmlText(h)}"/>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    `<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="${id}" name="${name}" displayName="${name}" ref="${ref}" headerRowCount="1" totalsRowShown="0">` +
    `<autoFilter ref="${ref}"/>` +
    `<tableColumns count="${headers.length}">${columns}</tableColumns>` +
    '<tableStyleInfo name="TableStyleLight9" showFirstColumn="0" showLastColumn="0" showRowStripes="1" showColumnStripes="0"/>' +
    '</table>'
  );
}

function drawingParts(pictures: PictureAnchor[], mediaTarget: (imageId: number) => string): { xml: string; relsXml: string } {
  const rels: string[] = [];
  const anchors = pictures.map((p, i) => {
    const rId = `rId${i + 1}`;
    rels.push(`<Relationship Id="${rId}" Type="${REL_IMAGE}" Target="${mediaTarget(p.imageId)}"/>`);
    const offset = 4 * EMU_PER_PIXEL;
    return (
      '<xdr:oneCellAnchor>' +
      `<xdr:from><xdr:col>${p.col}</xdr:col><xdr:colOff>${offset}</xdr:colOff><xdr:row>${p.row}</xdr:row><xdr:rowOff>${offset}</xdr:rowOff></xdr:from>` +
      `<xdr:ext cx="${p.widthPx * EMU_PER_PIXEL}" cy="${p.heightPx * EMU_PER_PIXEL}"/>` +
      '<xdr:pic>' +
      `<xdr:nvPicPr><xdr:cNvPr id="${i + 2}" name="${xmlText(p.name)}" descr="${xmlText(p.name)}"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>` +
      `<xdr:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="${rId}"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>` +
      `<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="${p.widthPx * EMU_PER_PIXEL}" cy="${p.heightPx * EMU_PER_PIXEL}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>` +
      '</xdr:pic>' +
      '<xdr:clientData/>' +
      '</xdr:oneCellAnchor>'
    );
  });
  const xml =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">' +
    anchors.join('') +
    '</xdr:wsDr>';
  const relsXml =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`;
  return { xml, relsXml };
}
