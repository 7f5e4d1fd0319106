import { IconActivity } from '@tabler/icons-react';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';

export function ActivityPage() {
  return (
    <>
      <PageHeader title="Activity" subtitle="Copies, drills and exports: running now and finished." />
      <PageEmptyState
        icon={<IconActivity />}
        title="No activity yet"
        description="When Lifeboat copies a VM, runs a drill or exports a report, it appears here with a progress bar and the time left, and stays listed afterwards with its log."
      />
    </>
  );
}
