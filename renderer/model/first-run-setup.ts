/** The first-run wizard's steps, and its checks: the contract's completeFirstRun schema, plus what only a person can confirm. */
import type { FirstRunVault } from '../../core/contract/settings';
import { inputProblems, type Problems } from './input-problems';

export const FIRST_RUN_STEPS = ['You', 'Vault', 'Passphrase', 'Safekeeping', 'Hosts', 'Protect', 'Done'] as const;
export const Step = { Organisation: 0, Vault: 1, Passphrase: 2, Kit: 3, Hosts: 4, Protect: 5, Done: 6 } as const;

export interface SetupAnswers {
  organisation: string;
  vault: FirstRunVault;
  passphrase: string;
  confirmation: string;
  /** Ticked: the recovery kit and the passphrase are kept somewhere safe. */
  stored: boolean;
}

/**
 * What a setup step has to fix, keyed by the field that shows it. The vault's fields read their problems
 * without the 'vault.' prefix ('path', 'credentials.accessKeyId'), as the location form names them.
 */
export function setupProblems(step: number, answers: SetupAnswers): Problems {
  const contract = inputProblems('completeFirstRun', {
    organisation: answers.organisation,
    vault: answers.vault,
    passphrase: answers.passphrase,
  });
  const found: Problems = {};
  for (const [path, message] of Object.entries(contract)) {
    const [field, ...rest] = path.split('.');
    if (step === Step.Organisation && field === 'organisation') found.organisation ??= message;
    if (step === Step.Vault && field === 'vault') found[rest.join('.') || 'path'] ??= message;
    if (step === Step.Passphrase && field === 'passphrase') found.passphrase ??= message;
  }
  // Typing it twice and keeping it safe are the person's part: no schema can check them.
  if (step === Step.Passphrase && !found.passphrase && answers.confirmation !== answers.passphrase)
    found.confirmation = 'The two passphrases are different. Type the same passphrase twice.';
  if (step === Step.Kit && !answers.stored) found.stored = 'Tick the box once the recovery kit and the passphrase are kept somewhere safe.';
  return found;
}
