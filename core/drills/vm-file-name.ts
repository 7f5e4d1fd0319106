/**
 * A file or folder name for a VM: its id makes it unique (names repeat across hosts and may be anything),
 * a slug of its name beside it keeps it readable. Letters of every script survive; path separators, dots
 * at the start, control characters and reserved Windows characters do not.
 */
export function vmFileName(vmId: string, name: string): string {
  const id = vmId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 40) || 'vm';
  const slug = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^[._]+/, '')
    .replace(/_+$/, '')
    .slice(0, 40);
  return slug ? `${id}-${slug}` : id;
}
