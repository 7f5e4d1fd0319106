import {
  coverageText,
  daysBetween,
  daysText,
  MIN_MEASURED_SHARE,
  spanText,
  type ReportCoverage,
  type ReportSummary,
} from '../contract/reports';
import { localTimeZone } from './period';
import type { ReportData, ReportVm } from './report-data';

/** Below this RPO compliance the report says "failing" rather than "needs attention". */
export const FAILING_COMPLIANCE_PERCENT = 95;

/** The VMs the report counts as protected: in an enabled policy for some of the period. */
export function protectedVms(data: ReportData): ReportVm[] {
  return data.vms.filter((vm) => vm.protectedInPeriod);
}

/** VMs that breached their RPO in the period with no action item raised about them. */
export function breachedWithoutActionItem(data: ReportData): ReportVm[] {
  const subjects = new Set(data.actionItems.filter((item) => item.source === 'rpo').map((item) => item.subject.toLowerCase()));
  return protectedVms(data).filter(
    (vm) => vm.totals.breaches > 0 && !subjects.has(vm.vm.toLowerCase()) && !subjects.has(vm.vmId.toLowerCase()),
  );
}

/** The workbook's Summary sheet as numbers: also what the Reports page previews. */
export function summarise(data: ReportData): ReportSummary {
  const counted = data.vms.filter((vm) => vm.status !== 'removed');
  const covered = protectedVms(data);
  const coveredSeconds = covered.reduce((sum, vm) => sum + vm.totals.coveredSeconds, 0);
  const breachSeconds = covered.reduce((sum, vm) => sum + vm.totals.breachSeconds, 0);
  const rpoCompliancePercent = coveredSeconds > 0 ? round2((100 * (coveredSeconds - breachSeconds)) / coveredSeconds) : null;

  let worstPointAge: ReportSummary['worstPointAge'] = null;
  for (const vm of covered) {
    const target = vm.rpoMinutes! * 60;
    // Worst relative to its own target: a 2-hour age is fine for a daily VM and bad for a 15-minute one.
    if (worstPointAge === null || vm.totals.worstAgeSeconds / target > worstPointAge.seconds / worstPointAge.targetSeconds) {
      worstPointAge = { vm: vm.vm, seconds: vm.totals.worstAgeSeconds, targetSeconds: target };
    }
  }

  // The drill figures are about tests; real failovers and failbacks are listed on the Drills sheet by kind.
  const tests = data.drills.filter((d) => d.kind === 'test');
  const finished = tests.filter((d) => d.status !== 'running');
  const drillsPassed = finished.filter((d) => d.status === 'passed').length;
  const drillsFailed = finished.filter((d) => d.status === 'failed').length;
  const drillsUnverified = finished.filter((d) => d.status === 'unverified').length;
  let worstDrillRpo: ReportSummary['worstDrillRpo'] = null;
  let worstDrillRto: ReportSummary['worstDrillRto'] = null;
  // Recovery figures come from drills that proved recovery: an unverified or failed drill measured nothing.
  for (const drill of tests.filter((d) => d.status === 'passed')) {
    for (const vm of drill.vms) {
      const seconds = drillRpoSeconds(drill.startedAt, vm.recoveryPointTime);
      if (seconds !== null && (worstDrillRpo === null || seconds > worstDrillRpo.seconds)) {
        worstDrillRpo = { vm: vm.vm, plan: drill.plan, seconds, targetSeconds: drill.rpoTargetSeconds };
      }
    }
    if (drill.rtoSeconds !== null && (worstDrillRto === null || drill.rtoSeconds > worstDrillRto.seconds)) {
      worstDrillRto = { plan: drill.plan, seconds: drill.rtoSeconds, targetSeconds: drill.rtoTargetSeconds };
    }
  }

  const openActionItems = data.actionItems.filter((item) => item.status === 'open').length;
  const withoutItem = breachedWithoutActionItem(data).length;
  const rpoBreaches = covered.reduce((sum, vm) => sum + vm.totals.breaches, 0);
  const unprotected = counted.length - covered.filter((vm) => vm.status !== 'removed').length;

  const coverage = coverageOf(data, covered);
  const incomplete = incompleteReason(coverage, covered.length > 0);

  const failing: string[] = [];
  const attention: string[] = [];
  if (!data.audit.verification.ok) failing.push(`The audit log was tampered with: ${data.audit.verification.problem}`);
  if (finished.length > 0 && drillsPassed === 0) failing.push('No drill in the period passed.');
  if (rpoCompliancePercent !== null && rpoCompliancePercent < FAILING_COMPLIANCE_PERCENT)
    failing.push(`RPO compliance is below ${FAILING_COMPLIANCE_PERCENT}%.`);
  if (covered.length === 0) attention.push('No VM was protected in the period.');
  if (unprotected > 0) attention.push(`${unprotected} VM${unprotected === 1 ? ' is' : 's are'} not protected.`);
  if (rpoBreaches > 0)
    attention.push(`${rpoBreaches} RPO breach${rpoBreaches === 1 ? '' : 'es'}, ${Math.round(breachSeconds / 60)} minutes in breach.`);
  if (finished.length === 0) attention.push('No drill ran in the period.');
  if (drillsFailed > 0 && drillsPassed > 0) attention.push(`${drillsFailed} drill${drillsFailed === 1 ? '' : 's'} failed.`);
  if (drillsUnverified > 0)
    attention.push(
      `${drillsUnverified} drill${drillsUnverified === 1 ? '' : 's'} unverified: the VMs ran, but nothing proved their guests came up.`,
    );
  if (worstDrillRto?.targetSeconds != null && worstDrillRto.seconds > worstDrillRto.targetSeconds)
    attention.push('A drill recovered slower than its RTO target.');
  if (openActionItems > 0) attention.push(`${openActionItems} action item${openActionItems === 1 ? ' is' : 's are'} open.`);
  if (withoutItem > 0) attention.push(`${withoutItem} VM${withoutItem === 1 ? '' : 's'} breached the RPO with no action item raised.`);

  return {
    organisation: data.organisation,
    from: data.period.from,
    to: data.period.to,
    generatedAt: new Date(data.generatedAt).toISOString(),
    timeZone: localTimeZone(),
    // Failing outranks everything: a tampered log is news whatever the coverage. Otherwise a period too little
    // measured is never "OK" (nor merely "needs attention"): its figures can still change.
    overall: failing.length > 0 ? 'failing' : incomplete ? 'incomplete' : attention.length > 0 ? 'attention' : 'ok',
    reasons: [...(incomplete ? [incomplete] : []), ...failing, ...attention],
    coverage,
    vms: counted.length,
    protectedVms: covered.filter((vm) => vm.status !== 'removed').length,
    unprotectedVms: unprotected,
    rpoCompliancePercent,
    rpoBreaches,
    minutesInBreach: Math.round(breachSeconds / 60),
    worstPointAge,
    drillsRun: finished.length,
    drillsPassed,
    drillsUnverified,
    drillsFailed,
    worstDrillRpo,
    worstDrillRto,
    jobsRun: data.jobCounts.total,
    jobsFailed: data.jobCounts.failed,
    jobsUnfinished: data.jobCounts.unfinished,
    openActionItems,
    breachesWithoutActionItem: withoutItem,
    auditEntries: data.audit.entries,
    auditIntact: data.audit.verification.ok,
  };
}

function coverageOf(data: ReportData, covered: ReportVm[]): ReportCoverage {
  const state = data.generatedAt < data.start ? 'future' : data.generatedAt < data.end ? 'partial' : 'complete';
  return {
    state,
    periodDays: daysBetween(data.period.from, data.period.to) + 1,
    periodSeconds: Math.round((data.end - data.start) / 1000),
    elapsedSeconds: Math.round((data.asOf - data.start) / 1000),
    asOf: new Date(data.asOf).toISOString(),
    rpoMeasuredSeconds: Math.round(Math.max(0, ...covered.map((vm) => vm.totals.coveredSeconds))),
  };
}

/** Why the figures are not the period's final word, or null when they are. */
function incompleteReason(c: ReportCoverage, anyProtected: boolean): string | null {
  if (c.state === 'future') return `Future period: it has not begun, so nothing in it is measured yet.`;
  if (c.state === 'partial') {
    return `Partial period: the period is not over; ${spanText(c.elapsedSeconds)} of ${daysText(c.periodDays)} have passed and ${coverageText(c)}. The figures can still change.`;
  }
  if (anyProtected && c.rpoMeasuredSeconds < MIN_MEASURED_SHARE * c.periodSeconds) {
    return `Too little measured: ${coverageText(c)}, less than ${Math.round(MIN_MEASURED_SHARE * 100)}% of the period.`;
  }
  return null;
}

/** RPO achieved by a drill: how old the recovery point was when the drill started. */
export function drillRpoSeconds(drillStartedAt: string, pointTime: string): number | null {
  const seconds = Math.round((Date.parse(drillStartedAt) - Date.parse(pointTime)) / 1000);
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
