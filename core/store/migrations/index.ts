import { sql as initial } from './001-initial';
import { sql as secretsAndIndexes } from './002-secrets-and-indexes';
import { sql as jobsDetailAndAlerts } from './003-jobs-detail-and-alerts';
import { sql as actionItems } from './004-action-items';
import { sql as jobResources } from './005-job-resources';
import { sql as recoveryPlans } from './006-recovery-plans';
import { sql as planFailover } from './007-plan-failover';
import { sql as unverifiedDrills, up as unverifiedDrillsUp } from './008-unverified-drills';
import { sql as vaultHealth } from './009-vault-health';
import { sql as auditMac } from './010-audit-mac';
import { sql as azureHosts } from './011-azure-hosts';
import type { Db } from '../db';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Data changes SQL cannot express well (JSON documents), run in the same transaction after `sql`. */
  up?: (db: Db) => void;
  /** Rebuilds a table others reference: run with foreign keys off (a DROP would cascade), checked before commit. */
  rebuildsTable?: boolean;
}

/**
 * Forward-only and append-only: a shipped migration is never edited. A change to the catalog is a new
 * entry with the next number; the version is kept in SQLite's user_version.
 */
export const migrations: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'secrets and indexes', sql: secretsAndIndexes },
  { version: 3, name: 'job detail and alerts', sql: jobsDetailAndAlerts },
  { version: 4, name: 'action items', sql: actionItems },
  { version: 5, name: 'job resources', sql: jobResources },
  { version: 6, name: 'recovery plans', sql: recoveryPlans },
  { version: 7, name: 'plan failover state', sql: planFailover },
  { version: 8, name: 'unverified drills', sql: unverifiedDrills, up: unverifiedDrillsUp },
  { version: 9, name: 'vault health', sql: vaultHealth },
  { version: 10, name: 'audit MACs', sql: auditMac },
  { version: 11, name: 'Azure recovery sites', sql: azureHosts, rebuildsTable: true },
];

export const LATEST_SCHEMA_VERSION = migrations.length;
