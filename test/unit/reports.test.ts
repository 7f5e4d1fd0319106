import { describe, expect, it } from 'vitest';
import { coverageText, overallLabel, spanText, type ReportCoverage } from '../../core/contract/reports';
import { auditDetailsText } from '../../core/reports/audit-text';
import { pathLines } from '../../core/reports/evidence';

const quarter = (rpoMeasuredSeconds: number, state: ReportCoverage['state'] = 'partial'): ReportCoverage => ({
  state,
  periodDays: 92,
  periodSeconds: 92 * 86_400,
  elapsedSeconds: 3600,
  asOf: '2026-10-01T01:00:00.000Z',
  rpoMeasuredSeconds,
});

describe('report wording', () => {
  it('states how much of the period the RPO figures cover', () => {
    expect(coverageText(quarter(9 * 60))).toBe('RPO measured over 9 min of 92 days');
    expect(coverageText(quarter(30))).toBe('RPO measured over under 1 min of 92 days');
    expect(coverageText(quarter(5 * 3600 + 20 * 60))).toBe('RPO measured over 5 h 20 min of 92 days');
    expect(coverageText(quarter(61.45 * 86_400))).toBe('RPO measured over 61.4 days of 92 days');
    // All of it reads as the period's days, even when DST makes it an hour short of 92 × 24 h.
    expect(coverageText({ ...quarter(92 * 86_400 - 3600, 'complete'), periodSeconds: 92 * 86_400 - 3600 })).toBe(
      'RPO measured over 92 days of 92 days',
    );
    expect(coverageText({ ...quarter(0), periodDays: 1, periodSeconds: 86_400 })).toBe('RPO measured over 0 min of 1 day');
    expect(spanText(2 * 86_400)).toBe('2 days');
  });

  it('never calls a partial or future period OK', () => {
    expect(overallLabel({ overall: 'incomplete', coverage: quarter(60) })).toBe('Partial period');
    expect(overallLabel({ overall: 'incomplete', coverage: quarter(0, 'future') })).toBe('Future period');
    expect(overallLabel({ overall: 'incomplete', coverage: quarter(60, 'complete') })).toBe('Too little measured');
    expect(overallLabel({ overall: 'attention', coverage: quarter(60, 'complete') })).toBe('Needs attention');
  });

  it('gives audit details as readable lines, the JSON kept as it is', () => {
    expect(auditDetailsText('{"jobId":"j1","summary":{"rpoCompliancePercent":99.8,"auditIntact":true},"evidence":[]}')).toBe(
      'Job id: j1\nSummary, RPO compliance percent: 99.8\nSummary, audit intact: yes\nEvidence: none',
    );
    expect(auditDetailsText(null)).toBe('');
    expect(auditDetailsText('{}')).toBe('(no details)');
    expect(auditDetailsText('not json')).toBe('not json');
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`k${i}`, i])));
    expect(auditDetailsText(many).split('\n')).toHaveLength(11);
    expect(auditDetailsText(many)).toMatch(/… 4 more in the JSON$/);
  });

  it('breaks a path inside the export after slashes, never inside a name', () => {
    const rel = 'q1-evidence/1d0b3f54-5162-4a74-a09f-34beb245589e/7ede23cb-e0e7-4a5a-bed7-75a8fab1e7ff.png';
    expect(pathLines(rel, 56)).toBe('q1-evidence/1d0b3f54-5162-4a74-a09f-34beb245589e/\n7ede23cb-e0e7-4a5a-bed7-75a8fab1e7ff.png');
    expect(pathLines(rel, 200)).toBe(rel);
    expect(pathLines(rel, 10).split('\n')).toEqual([
      'q1-evidence/',
      '1d0b3f54-5162-4a74-a09f-34beb245589e/',
      '7ede23cb-e0e7-4a5a-bed7-75a8fab1e7ff.png',
    ]);
  });
});
