/**
 * Ids of the secrets the engine itself stores (SecretsStore). In the contract, a leaf every room may import,
 * so naming the vault passphrase ties no room to the settings room.
 */
export const VAULT_PASSPHRASE_SECRET = 'vault-passphrase';
