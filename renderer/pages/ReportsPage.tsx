import { IconFileSpreadsheet } from '@tabler/icons-react';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';

export function ReportsPage() {
  return (
    <>
      <PageHeader title="Reports" subtitle="Excel workbooks for your auditor." />
      <PageEmptyState
        icon={<IconFileSpreadsheet />}
        title="Nothing to report yet"
        description="A report covers a period you choose: which VMs are protected, whether every copy met its schedule, every drill with its recovery time and screenshots, and the audit log. It becomes available once VMs are protected."
      />
    </>
  );
}
