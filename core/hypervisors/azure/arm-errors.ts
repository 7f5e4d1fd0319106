import { LifeboatError } from '../../contract/errors';
import { hostUnreachable } from '../errors';

/** What an SDK RestError carries (@azure/core-rest-pipeline); read structurally, it is not exported as a type we need. */
interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/**
 * An Azure Resource Manager failure as a LifeboatError with the user's next step. ARM's error codes are the
 * published ones (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors);
 * `doing` says what Lifeboat was doing ("creating the drill VM web01").
 */
export function armError(error: unknown, doing: string, site: { resourceGroup: string; location: string }): unknown {
  if (error instanceof LifeboatError) return error;
  if (!error || typeof error !== 'object') return error;
  const rest = error as RestErrorLike;
  if ((error as Error).name === 'AbortError') return error;
  const status = rest.statusCode;
  const code = rest.code ?? '';
  const said = (rest.message ?? '').split('\n')[0]!.slice(0, 500);
  const message = (what: string): string => `Azure refused ${doing}: ${what}`;
  if (status === undefined) {
    if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|socket|certificate/i.test(`${code} ${said}`))
      return hostUnreachable(
        'Azure Resource Manager',
        `${doing} failed (${code || said})`,
        'Check that this computer reaches management.azure.com over HTTPS (proxy, firewall, DNS), then try again.',
        error,
      );
    return error;
  }
  if (status === 401 || code === 'ExpiredAuthenticationToken' || code === 'InvalidAuthenticationToken') {
    return new LifeboatError('SESSION_EXPIRED', message(`the sign-in token was not accepted (${code || status}).`), {
      fix: "Run the step again: Lifeboat signs in afresh. If it keeps happening, check the computer's clock and the service principal's secret.",
      cause: error,
    });
  }
  if (status === 403 || code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed') {
    return new LifeboatError('ACCESS_DENIED', message(said), {
      fix: `Give the service principal the "Lifeboat recovery" role (or Contributor) on resource group ${site.resourceGroup}; the README's "Azure recovery site" section lists the actions it needs.`,
      cause: error,
    });
  }
  if (code === 'ResourceGroupNotFound') {
    return new LifeboatError('NOT_FOUND', message(`there is no resource group ${site.resourceGroup} in this subscription.`), {
      fix: `Create resource group ${site.resourceGroup} in ${site.location} (Azure portal → Resource groups → Create), or correct its name.`,
      cause: error,
    });
  }
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') {
    return new LifeboatError('NOT_FOUND', message(said), {
      fix: 'Check the subscription id (Azure portal → Subscriptions).',
      cause: error,
    });
  }
  if (/quota/i.test(said) && (code === 'OperationNotAllowed' || code === 'QuotaExceeded')) {
    return new LifeboatError('CONFLICT', message(`the region's vCPU quota is used up. ${quotaDetail(said)}`.trim()), {
      fix: `Request a quota increase for ${site.location} (Azure portal → Subscriptions → Usage + quotas), pick smaller VM sizes in the plan, or recover fewer VMs at once.`,
      cause: error,
    });
  }
  if (code === 'SkuNotAvailable' || (code === 'InvalidTemplateDeployment' && /sku/i.test(said))) {
    return new LifeboatError('CONFLICT', message(`the VM size is not available in ${site.location}. ${said}`), {
      fix: 'Choose another VM size for this VM in the recovery plan (Azure portal → Virtual machines → Create shows what the region offers), or use a site in another region.',
      cause: error,
    });
  }
  if (status === 429) {
    const after = rest.response?.headers?.get('retry-after');
    return new LifeboatError(
      'HOST_UNREACHABLE',
      message(`Azure is throttling this subscription's requests (429${after ? `, retry after ${after} s` : ''}).`),
      {
        fix: 'Wait a few minutes and run it again; recover fewer VMs at once, or stop other tools that call Azure with this subscription.',
        cause: error,
      },
    );
  }
  if (status >= 500) {
    return hostUnreachable(
      'Azure Resource Manager',
      `${doing} failed with ${status} ${code}`,
      'Azure had an internal error: try again in a few minutes; check status.azure.com if it persists.',
      error,
    );
  }
  return new LifeboatError('CONFLICT', message(`${code ? `${code}: ` : ''}${said}`), {
    fix: "Read Azure's message above; fix the setting it names in the recovery plan or the site, then try again.",
    cause: error,
  });
}

/** "Current Limit: 5, Current Usage: 2, Additional Required: 4" → "Limit 5 vCPUs, in use 2, needed 4 more." */
function quotaDetail(said: string): string {
  const num = (label: string): string | undefined => new RegExp(`${label}:\\s*(\\d+)`).exec(said)?.[1];
  const limit = num('Current Limit');
  const used = num('Current Usage');
  const more = num('Additional Required');
  return limit && used && more ? `Limit ${limit} vCPUs, in use ${used}, needed ${more} more.` : '';
}

/** Runs an ARM call, turning its failure into a typed error. */
export async function arm<T>(doing: string, site: { resourceGroup: string; location: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw armError(error, doing, site);
  }
}
