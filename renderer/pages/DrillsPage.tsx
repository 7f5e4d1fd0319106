import { IconLifebuoy } from '@tabler/icons-react';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import type { PageId } from '../router';

export function DrillsPage({ go }: { go(page: PageId): void }) {
  return (
    <>
      <PageHeader title="Drills" subtitle="Practice recovery without touching production." />
      <PageEmptyState
        icon={<IconLifebuoy />}
        title="No drills yet"
        description="A drill starts copies of your VMs in an isolated sandbox, checks that they work, measures how long recovery took, and cleans up — the proof your auditor asks for. Protect some VMs first; then one click runs a drill."
        action={{ label: 'Protect VMs', onClick: () => go('protection') }}
      />
    </>
  );
}
