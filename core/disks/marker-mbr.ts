/**
 * A 512-byte boot sector that prints a message to the first serial port (COM1, 0x3F8) and to the VGA text
 * screen, then halts. The sample lab's VMs and the boot tests use it: a QEMU sandbox knows a restored disk
 * booted when the marker appears on the serial port, and its screendump shows the message as evidence.
 *
 * 16-bit real-mode code, loaded by the BIOS at 0000:7C00:
 *   cld; mov ax,3; int 10h            ; text mode 80x25, clears the screen
 *   xor ax,ax; mov ds,ax              ; the message is addressed from segment 0
 *   mov ax,0B800h; mov es,ax; xor di,di
 *   mov si,message; mov dx,3F8h
 * next: lodsb; test al,al; jz done
 *   out dx,al                         ; serial
 *   cmp al,20h; jb next               ; control characters go to the serial port only
 *   mov ah,1Fh; stosw                 ; white on blue on screen
 *   jmp next
 * done: cli; hlt; jmp done
 */
const CODE = [
  0xfc, 0xb8, 0x03, 0x00, 0xcd, 0x10, 0x31, 0xc0, 0x8e, 0xd8, 0xb8, 0x00, 0xb8, 0x8e, 0xc0, 0x31, 0xff, 0xbe, 0x2a, 0x7c, 0xba, 0xf8, 0x03,
  0xac, 0x84, 0xc0, 0x74, 0x0a, 0xee, 0x3c, 0x20, 0x72, 0xf6, 0xb4, 0x1f, 0xab, 0xeb, 0xf1, 0xfa, 0xf4, 0xeb, 0xfc,
];
const MESSAGE_OFFSET = 0x2a;
const SIGNATURE_OFFSET = 510;
/** The MBR partition table starts at 446; the message must end before it. */
export const MAX_MARKER_LENGTH = 446 - MESSAGE_OFFSET - 3;

export function markerBootSector(message: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(message) || message.length > MAX_MARKER_LENGTH) {
    throw new RangeError(`A boot marker is printable ASCII of at most ${MAX_MARKER_LENGTH} characters.`);
  }
  const sector = Buffer.alloc(512);
  Buffer.from(CODE).copy(sector, 0);
  sector.write(`${message}\r\n`, MESSAGE_OFFSET, 'ascii');
  sector[SIGNATURE_OFFSET] = 0x55;
  sector[SIGNATURE_OFFSET + 1] = 0xaa;
  return sector;
}
