import type { ConsoleApi } from '../contract/api';
import type { ServiceContext } from '../service-context';

export function auditApi(ctx: ServiceContext): Pick<ConsoleApi, 'listAuditEvents' | 'verifyAudit'> {
  return {
    async listAuditEvents(input) {
      return ctx.audit.list(input);
    },
    async verifyAudit() {
      return ctx.audit.verify();
    },
  };
}
