import { z } from 'zod';
import { method } from './define';
import { passphraseStrength } from './passphrase';
import { targetCredentials } from './targets';
import type { Settings, Status } from './types';

const noInput = z.object({}).default({});

/** Windows drive (D:\), UNC share (\\nas\share) or POSIX (/srv) — a relative path would move with the cwd. */
const ABSOLUTE_PATH = /^(?:[a-zA-Z]:[\\/]|\\\\[^\\]+\\[^\\]+|\/)/;

export const organisationName = z
  .string()
  .trim()
  .min(1, 'Enter your organisation name; it appears on reports.')
  .max(200, 'Keep the organisation name under 200 characters.');

export const folderLocation = z.object({
  kind: z.literal('folder'),
  path: z
    .string()
    .trim()
    .min(1, 'Choose a folder for the vault.')
    .regex(ABSOLUTE_PATH, 'Use a full path, like D:\\LifeboatVault or \\\\nas\\backups.'),
});

export const vaultLocation = z.discriminatedUnion('kind', [folderLocation]);

/** The first-run wizard's vault: a folder or share, Azure Blob or S3-compatible storage (credentials sealed on save). */
export const azureLocation = z.object({
  kind: z.literal('azure'),
  path: z
    .string()
    .trim()
    .regex(
      /^azblob:\/\/[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}(?:\/[A-Za-z0-9._/-]*)?$/,
      'Use azblob://<container> or azblob://<container>/<folder>, with a lowercase container name.',
    ),
  credentials: targetCredentials.optional(),
});
export const s3Location = z.object({
  kind: z.literal('s3'),
  path: z
    .string()
    .trim()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/[A-Za-z0-9._/-]*)?$/,
      'Use s3://<bucket> or s3://<bucket>/<folder>, with a lowercase bucket name.',
    ),
  credentials: targetCredentials.optional(),
});
export const firstRunVault = z.discriminatedUnion('kind', [folderLocation, azureLocation, s3Location]);
export type FirstRunVault = z.input<typeof firstRunVault>;

export const newPassphrase = z.string().superRefine((value, ctx) => {
  const strength = passphraseStrength(value);
  if (!strength.acceptable) {
    ctx.addIssue({ code: 'custom', message: `Passphrase is ${strength.label.toLowerCase()}. ${strength.hint}` });
  }
});

export const settingsMethods = {
  getStatus: method('Engine status and catalog counts.', noInput)
    .returns<Status>()
    .reads('settings', 'policies', 'hosts', 'vms', 'jobs', 'points', 'drills'),
  getSettings: method('Organisation, vault location and where data lives.', noInput).returns<Settings>().reads('settings'),
  completeFirstRun: method(
    'Save the first-run wizard: organisation, vault location and the vault passphrase (kept encrypted).',
    z.object({ organisation: organisationName, vault: firstRunVault, passphrase: newPassphrase }),
  )
    .returns<Settings>()
    .changes('settings', 'targets'),
  updateSettings: method(
    'Change the organisation name, desktop behaviour or how many jobs run at once; omitted fields keep their value.',
    z
      .object({
        organisation: organisationName.optional(),
        startAtLogin: z.boolean().optional(),
        autoUpdate: z.boolean().optional(),
        concurrency: z
          .object({
            total: z
              .number()
              .int()
              .min(1, 'Allow at least one job at a time.')
              .max(16, 'More than 16 jobs at once would starve each other; use 16 or fewer.'),
            perHost: z.number().int().min(1).max(8, 'A host serves at most 8 copies at once well; use 8 or fewer.'),
            perTarget: z.number().int().min(1).max(8, 'A target takes at most 8 copies at once; use 8 or fewer.'),
          })
          .refine((limits) => limits.perHost <= limits.total && limits.perTarget <= limits.total, {
            message: 'Per host and per vault cannot exceed the total.',
            path: ['total'],
          })
          .optional(),
        copyRetries: z
          .number()
          .int()
          .min(0, 'Use 0 to never retry.')
          .max(10, 'Retry at most 10 times; a copy that fails that often needs a look, not more tries.')
          .optional(),
      })
      .refine((input) => Object.values(input).some((value) => value !== undefined), { message: 'Nothing to change.' }),
  )
    .returns<Settings>()
    .changes('settings'),
};
