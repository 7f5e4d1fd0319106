import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (the first 24 bytes), or null when it is not a PNG. */
export function pngSize(head: Buffer): { width: number; height: number } | null {
  if (head.length < 24 || !head.subarray(0, 8).equals(SIGNATURE) || head.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = head.readUInt32BE(16);
  const height = head.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height } : null;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** Channels per pixel by PNG colour type: grey, RGB, palette, grey+alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * The PNG as LibreOffice and Excel print it faithfully: 8-bit RGB without alpha. Returns null when the file
 * already is that (embed it as it is) or is a kind this does not decode (interlaced, sub-byte grey).
 *
 * Why: evidence PNGs with an alpha channel print as nothing at all in LibreOffice when the alpha is zero
 * — a framebuffer's unused fourth byte (BGRX) saved as RGBA — and screenshots taken at 16 bits per channel
 * or with a palette add nothing a reader sees. An alpha channel that is zero everywhere carries no meaning,
 * so it is dropped; a real one is composited over white, as a viewer shows it on a page.
 */
export function flattenedPng(file: Buffer): Buffer | null {
  const parsed = parse(file);
  if (!parsed) return null;
  const { header, palette, transparency, data } = parsed;
  const plainRgb = header.colorType === 2 && header.depth === 8 && !transparency;
  if (plainRgb || header.interlace !== 0) return null;
  if (header.depth < 8 && header.colorType !== 3) return null;
  const channels = CHANNELS[header.colorType];
  if (channels === undefined) return null;

  const bitsPerPixel = channels * header.depth;
  const stride = Math.ceil((header.width * bitsPerPixel) / 8);
  const pixels = unfilter(zlib.inflateSync(data), stride, header.height, Math.max(1, bitsPerPixel >> 3));
  const rgba = toRgba(pixels, header, stride, palette, transparency);
  return encodeRgb(header.width, header.height, composite(rgba));
}

function parse(file: Buffer): { header: Header; palette: Buffer | null; transparency: Buffer | null; data: Buffer } | null {
  if (!pngSize(file.subarray(0, 24))) return null;
  let header: Header | null = null;
  let palette: Buffer | null = null;
  let transparency: Buffer | null = null;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= file.length;) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR')
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8]!, colorType: body[9]!, interlace: body[12]! };
    else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  return header && idat.length > 0 ? { header, palette, transparency, data: Buffer.concat(idat) } : null;
}

/** Reverses PNG's per-row filters (None, Sub, Up, Average, Paeth) in place of a fresh buffer. */
function unfilter(raw: Buffer, stride: number, height: number, bpp: number): Buffer {
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      const value = raw[src + x]!;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[row + x] = (value + predicted) & 0xff;
    }
  }
  return out;
}

function toRgba(
  pixels: Buffer,
  h: Header,
  stride: number,
  palette: Buffer | null,
  trns: Buffer | null,
): { rgba: Buffer; anyAlpha: boolean } {
  const rgba = Buffer.alloc(h.width * h.height * 4);
  const sample = (row: number, index: number): number => (h.depth === 16 ? pixels[row + index * 2]! : pixels[row + index]!);
  let anyAlpha = false;
  for (let y = 0; y < h.height; y++) {
    const row = y * stride;
    for (let x = 0; x < h.width; x++) {
      let r: number, g: number, b: number;
      let a = 255;
      if (h.colorType === 3) {
        const bitsAt = x * h.depth;
        const index = (pixels[row + (bitsAt >> 3)]! >> (8 - h.depth - (bitsAt & 7))) & ((1 << h.depth) - 1);
        r = palette?.[index * 3] ?? 0;
        g = palette?.[index * 3 + 1] ?? 0;
        b = palette?.[index * 3 + 2] ?? 0;
        a = trns && index < trns.length ? trns[index]! : 255;
      } else if (h.colorType === 0 || h.colorType === 4) {
        r = g = b = sample(row, x * (h.colorType === 4 ? 2 : 1));
        if (h.colorType === 4) a = sample(row, x * 2 + 1);
      } else {
        const n = h.colorType === 6 ? 4 : 3;
        r = sample(row, x * n);
        g = sample(row, x * n + 1);
        b = sample(row, x * n + 2);
        if (h.colorType === 6) a = sample(row, x * n + 3);
      }
      if (a !== 0) anyAlpha = true;
      rgba.set([r, g, b, a], (y * h.width + x) * 4);
    }
  }
  return { rgba, anyAlpha };
}

function composite({ rgba, anyAlpha }: { rgba: Buffer; anyAlpha: boolean }): Buffer {
  const rgb = Buffer.alloc((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    // Alpha zero everywhere is a padding byte, not transparency: keep the colours as they are.
    const a = anyAlpha ? rgba[i + 3]! : 255;
    for (let c = 0; c < 3; c++) rgb[o + c] = Math.round((rgba[i + c]! * a + 255 * (255 - a)) / 255);
  }
  return rgb;
}

export function encodeRgb(width: number, height: number, rgb: Buffer): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}
