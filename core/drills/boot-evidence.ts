/**
 * What a guest's console says about its boot: the words of an OS that came up, or of firmware and boot
 * loaders that gave up. Used on the serial output and on the VGA text screen of QEMU sandboxes and the standby.
 */

/** Lifeboat's own synthetic disks (core/disks/marker-mbr.ts) print this on COM1 once they have booted. */
export const BOOT_MARKER = 'LIFEBOAT-BOOT-OK';

/** Without a configured readiness line, a login prompt is an OS that came up. */
const LOGIN_PROMPT = /(^|[\s>])(login|Login|LOGIN):\s*$/m;

/**
 * Firmware, boot-loader and kernel failures, in the words they print. Each means the VM will not come up
 * by itself: the drill fails at once with these words instead of waiting out its timeout.
 */
const FAILURES: RegExp[] = [
  /No bootable device\.?/i,
  /Boot failed: [^\r\n]*/i,
  /FATAL: No bootable medium found[^\r\n]*/i,
  /Operating System not found/i,
  /Missing operating system/i,
  /Invalid partition table/i,
  /Error loading operating system/i,
  /Non-system disk or disk error/i,
  /A disk read error occurred/i,
  /BOOTMGR is missing/i,
  /NTLDR is missing/i,
  /Kernel panic - not syncing:[^\r\n]*/,
  /grub rescue>/i,
  /No operating system found/i,
  /Please insert a bootable medium[^\r\n]*/i,
];

export interface Readiness {
  /** The whole line that proved it. */
  line: string;
}

/** The line proving the guest is up: the configured text, else Lifeboat's marker or a login prompt. */
export function findReadiness(text: string, readyText?: string | null): Readiness | null {
  if (readyText) {
    const at = text.indexOf(readyText);
    return at < 0 ? null : { line: lineAround(text, at) };
  }
  const marker = text.indexOf(BOOT_MARKER);
  if (marker >= 0) return { line: lineAround(text, marker) };
  const login = LOGIN_PROMPT.exec(text);
  return login ? { line: lineAround(text, login.index + login[0].length - 1) } : null;
}

/** The first failure the console shows, in its own words, or null. */
export function findBootFailure(text: string): string | null {
  let first: RegExpExecArray | null = null;
  for (const pattern of FAILURES) {
    const match = pattern.exec(text);
    if (match && (!first || match.index < first.index)) first = match;
  }
  return first ? first[0].trim() : null;
}

/** The 80x25 VGA text buffer (character, attribute pairs) as lines of text, trailing blanks dropped. */
export function decodeVgaText(buffer: Buffer, columns = 80): string {
  const lines: string[] = [];
  for (let row = 0; row * columns * 2 < buffer.length; row++) {
    let line = '';
    for (let col = 0; col < columns; col++) {
      const code = buffer[(row * columns + col) * 2] ?? 0;
      line += code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : ' ';
    }
    lines.push(line.trimEnd());
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** The last lines of a console, for evidence and error messages. */
export function tail(text: string, lines = 12, maxChars = 2000): string {
  return text
    .split('\n')
    .map(printableOnly)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n')
    .slice(-maxChars);
}

function lineAround(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  return printableOnly(text.slice(start, end < 0 ? undefined : end))
    .trim()
    .slice(0, 500);
}

/** Console output carries escape sequences and control bytes; evidence keeps what a person can read. */
function printableOnly(text: string): string {
  return [...text].filter((c) => c === '\t' || (c >= ' ' && c !== '\x7f')).join('');
}
