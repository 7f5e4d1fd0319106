import { z } from 'zod';
import { method } from './define';

export interface AuditEntry {
  seq: number;
  time: string;
  /** Who: an operator's account name, or "system" for scheduled work. */
  actor: string;
  /** What, as a dotted verb: "settings.changed", "policy.created", "drill.finished", "report.exported". */
  action: string;
  /** What it was done to: a VM, policy, plan or file name. */
  subject: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The hash of the newest entry when the chain is intact: quote it to prove the log later. */
  headHash: string | null;
  problem: string | null;
  brokenAtSeq: number | null;
  /** The anchors outside the catalog the log was checked against (vaults, a workbook), in words. */
  anchorsChecked: string[];
  /** Anchors that could not be read (a vault unavailable), in words: not checked, not passed. */
  anchorsUnchecked?: string[];
}

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

export const auditMethods = {
  listAuditEvents: method(
    'Audit log entries, newest first, optionally within a period.',
    z
      .object({ from: isoDate.optional(), to: isoDate.optional(), limit: z.number().int().min(1).max(100_000).default(500) })
      .default({ limit: 500 }),
  )
    .returns<AuditEntry[]>()
    .reads(),
  verifyAudit: method(
    "Check the audit log: its hash chain and MACs, its end against the anchor in every vault, and against a workbook's anchor when one is given; names the first edited or deleted entry.",
    z.object({ workbook: z.string().min(1).optional() }).default({}),
  )
    .returns<AuditVerification>()
    .reads(),
};
