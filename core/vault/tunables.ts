/**
 * Environment variables that tune the vault for tests and operators, never credentials:
 * LIFEBOAT_VAULT_STALL_SECONDS (deadline.ts), LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS (prune.ts) and
 * LIFEBOAT_VAULT_KDF_N (keys.ts). Given as an explicit option (the CLI passes its environment); without it,
 * the process's own are read.
 */
export type VaultTunables = Readonly<Record<string, string | undefined>>;
