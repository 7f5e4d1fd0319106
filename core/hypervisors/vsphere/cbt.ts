import type { Extent } from '../../disks/types';
import { outputInvalid } from '../errors';
import { VimFault, type VimClient } from './client';
import { children, text, type MoRef, type XmlNode } from './xml';

/**
 * VMware Changed Block Tracking: the disk areas written between `changeId` and the snapshot. vSphere answers
 * in pieces (each DiskChangeInfo covers startOffset..startOffset+length), so the query repeats until the whole
 * disk is covered. changeId "*" asks for every allocated area. Returns null when vSphere cannot answer for
 * this change id (CBT was reset or turned off): the caller then reads all allocated extents.
 */
export async function queryChangedAreas(
  client: Pick<VimClient, 'call'>,
  vm: MoRef,
  snapshot: MoRef,
  deviceKey: number,
  capacityBytes: number,
  changeId: string,
): Promise<Extent[] | null> {
  const areas: Extent[] = [];
  let offset = 0;
  while (offset < capacityBytes) {
    let info: XmlNode | undefined;
    try {
      info = await client.call('QueryChangedDiskAreas', vm, [
        ['snapshot', snapshot],
        ['deviceKey', deviceKey],
        ['startOffset', offset],
        ['changeId', changeId],
      ]);
    } catch (error) {
      // FileFault / InvalidArgument: tracking was reset or the change id is unknown — a full read is needed.
      if (error instanceof VimFault && /FileFault|InvalidArgument|NotFound/.test(error.faultType)) return null;
      throw error;
    }
    const piece = parseDiskChangeInfo(info);
    areas.push(...piece.areas);
    const next = piece.startOffset + piece.length;
    if (next <= offset) throw outputInvalid('QueryChangedDiskAreas', `no progress past offset ${offset}`);
    offset = next;
  }
  return mergeExtents(areas);
}

export function parseDiskChangeInfo(info: XmlNode | undefined): { startOffset: number; length: number; areas: Extent[] } {
  const startOffset = Number(text(info, 'startOffset'));
  const length = Number(text(info, 'length'));
  if (!Number.isFinite(startOffset) || !Number.isFinite(length))
    throw outputInvalid('QueryChangedDiskAreas', 'a DiskChangeInfo without startOffset/length');
  const areas = children(info, 'changedArea').map((area) => {
    const start = Number(text(area, 'start'));
    const areaLength = Number(text(area, 'length'));
    if (!Number.isFinite(start) || !Number.isFinite(areaLength) || areaLength < 0)
      throw outputInvalid('QueryChangedDiskAreas', 'a changed area without start/length');
    return { offset: start, length: areaLength };
  });
  return { startOffset, length, areas };
}

export function mergeExtents(extents: Extent[]): Extent[] {
  const sorted = extents.filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  const merged: Extent[] = [];
  for (const extent of sorted) {
    const last = merged[merged.length - 1];
    if (last && extent.offset <= last.offset + last.length)
      last.length = Math.max(last.length, extent.offset + extent.length - last.offset);
    else merged.push({ ...extent });
  }
  return merged;
}
