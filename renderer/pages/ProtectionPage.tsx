import { IconShieldCheck } from '@tabler/icons-react';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import type { PageId } from '../router';

export function ProtectionPage({ go }: { go(page: PageId): void }) {
  return (
    <>
      <PageHeader title="Protection" subtitle="Which VMs are copied, where to, and how often." />
      <PageEmptyState
        icon={<IconShieldCheck />}
        title="No protection policies yet"
        description="A policy copies chosen VMs to your vault on a schedule — for example every 15 minutes, so you never lose more than 15 minutes of work. Find your VMs first, then protect them."
        action={{ label: 'Find your VMs', onClick: () => go('vms') }}
      />
    </>
  );
}
