import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Loader,
  Paper,
  Progress,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconCheck, IconDownload, IconFileSpreadsheet, IconFolderOpen } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import { coverageText, quarterOf, type ReportExportStatus, type ReportPeriod, type ReportSummary } from '../../core/contract/reports';
import { api, subscribe, transport } from '../api';
import { formatBytes } from '../format';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { ReportScheduleCard } from '../components/ReportScheduleCard';
import { ReportSummaryCard } from '../components/ReportSummaryCard';
import { useEngineQuery } from '../hooks';

type Choice = 'this' | 'last' | 'custom';

interface Progressing {
  phase: string;
  done: number;
  total: number;
}

/** Choose a period, preview the Summary numbers, write the workbook as a job, and find the file. */
export function ReportsPage() {
  const today = useMemo(() => new Date(), []);
  const [choice, setChoice] = useState<Choice>('this');
  const [custom, setCustom] = useState<ReportPeriod>(() => quarterOf(today, -1));
  const period = choice === 'this' ? quarterOf(today, 0) : choice === 'last' ? quarterOf(today, -1) : custom;
  const key = `${period.from}/${period.to}`;

  // The preview of the chosen period; `loadedKey` says which period it is, so a change shows as loading.
  const [preview, setPreview] = useState<{ key: string; summary: ReportSummary | null; error: LifeboatError | null } | null>(null);
  useEffect(() => {
    let live = true;
    api.previewReport(period).then(
      (value) => live && setPreview({ key, summary: value, error: null }),
      (failure: LifeboatError) => live && setPreview({ key, summary: null, error: failure }),
    );
    return () => {
      live = false;
    };
    // The period is fully described by its key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const summary = preview?.summary ?? null;
  const previewError = preview?.key === key ? preview.error : null;
  const previewing = preview?.key !== key;

  const schedule = useEngineQuery('getReportSchedule');
  const exporter = useExport();

  const nothingYet = summary !== null && summary.protectedVms === 0 && summary.drillsRun === 0 && summary.jobsRun === 0;
  if (nothingYet && choice !== 'custom') {
    return (
      <>
        <PageHeader title="Reports" subtitle="Excel workbooks for your auditor." />
        <PageEmptyState
          icon={<IconFileSpreadsheet />}
          title="Nothing to report yet"
          description="A report covers a period you choose: which VMs are protected, whether every copy met its schedule, every drill with its recovery time and screenshots, and the audit log. It becomes available once VMs are protected."
          action={{ label: 'Protect VMs', onClick: () => (window.location.hash = '#/protection') }}
        />
      </>
    );
  }

  return (
    <Stack>
      <PageHeader
        title="Reports"
        subtitle="Excel workbooks for your auditor: protection, RPO compliance, drills with evidence, and the audit log."
      />
      <Paper withBorder p="lg" radius="md">
        <Title order={4} mb="sm">
          Period
        </Title>
        <Group align="flex-end">
          <SegmentedControl
            aria-label="Period"
            value={choice}
            onChange={(value) => setChoice(value as Choice)}
            data={[
              // Not over yet: its report is a partial one, and the preview says so.
              { value: 'this', label: `This quarter (${quarterLabel(quarterOf(today, 0))}, so far)` },
              { value: 'last', label: `Last quarter (${quarterLabel(quarterOf(today, -1))})` },
              { value: 'custom', label: 'Custom dates' },
            ]}
          />
          {choice === 'custom' && (
            <>
              <TextInput
                type="date"
                label="From"
                value={custom.from}
                onChange={(e) => setCustom({ ...custom, from: e.currentTarget.value })}
              />
              <TextInput
                type="date"
                label="To (included)"
                value={custom.to}
                onChange={(e) => setCustom({ ...custom, to: e.currentTarget.value })}
              />
            </>
          )}
        </Group>
      </Paper>

      {previewError && <ErrorNotice error={previewError} title="The period cannot be previewed" />}
      {previewing && !summary && <Loader role="status" aria-label="Loading the preview" />}
      {summary && !previewError && <ReportSummaryCard summary={summary} />}

      <Paper withBorder p="lg" radius="md">
        <Group justify="space-between">
          <div>
            <Title order={4}>Export</Title>
            <Text size="sm" c="dimmed">
              Nine sheets: Summary with a sign-off block and how much of the period is measured, Protected VMs, RPO compliance per day,
              Drills, Evidence (each screenshot stamped with its VM, drill and SHA-256), Drill steps, Jobs, Action items, Audit log. The
              screenshots are also copied to a folder beside the workbook. Its SHA-256 is recorded in the audit log.
            </Text>
          </div>
          <Button
            leftSection={<IconFileSpreadsheet size={18} />}
            onClick={() => exporter.start(period)}
            loading={exporter.running}
            disabled={!!previewError}
          >
            Export workbook
          </Button>
        </Group>
        {exporter.running && exporter.progress && (
          <Stack gap={4} mt="md">
            <Progress
              value={exporter.progress.total > 0 ? (100 * exporter.progress.done) / exporter.progress.total : 0}
              animated
              aria-label="Export progress"
            />
            <Text size="xs" c="dimmed" data-testid="export-progress">
              {exporter.progress.phase}: {exporter.progress.done.toLocaleString()} of {exporter.progress.total.toLocaleString()} rows
            </Text>
          </Stack>
        )}
        {exporter.error && (
          <Alert color="red" variant="light" mt="md" title="The report was not written">
            {exporter.error}
          </Alert>
        )}
        {exporter.result?.result && <ExportResult status={exporter.result} />}
      </Paper>

      {schedule.data && <ReportScheduleCard schedule={schedule.data} onSaved={schedule.set} />}
    </Stack>
  );
}

function ExportResult({ status }: { status: ReportExportStatus }) {
  const result = status.result!;
  const [opening, setOpening] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const open = async (): Promise<void> => {
    setOpening(true);
    try {
      const answer = await api.openReportFolder({ file: result.file });
      setMessage(answer.opened ? null : answer.message);
    } catch (failure) {
      setMessage((failure as LifeboatError).message);
    } finally {
      setOpening(false);
    }
  };
  const [downloading, setDownloading] = useState(false);
  // Browser mode: fetch the file in pieces through the API and save it with the browser's own download.
  const download = async (): Promise<void> => {
    setDownloading(true);
    try {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      for (let offset = 0; ;) {
        const chunk = await api.readReportFile({ file: result.file, offset });
        parts.push(Uint8Array.from(atob(chunk.data), (c) => c.charCodeAt(0)));
        offset += chunk.bytes;
        if (chunk.bytes === 0 || offset >= chunk.size) break;
      }
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = result.file.split(/[\\/]/).pop() ?? 'lifeboat-report.xlsx';
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (failure) {
      setMessage((failure as LifeboatError).message);
    } finally {
      setDownloading(false);
    }
  };
  return (
    <Alert color="green" variant="light" mt="md" icon={<IconCheck />} title="Workbook written" data-testid="export-result">
      <Stack gap={6}>
        <Group gap="xs" wrap="nowrap">
          <Code data-testid="export-file">{result.file}</Code>
          <CopyButton value={result.file}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="subtle" onClick={copy}>
                {copied ? 'Copied' : 'Copy path'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Text size="xs" c="dimmed">
          {formatBytes(result.bytes)} · SHA-256 <Code fz="xs">{result.sha256}</Code>
        </Text>
        {result.summary.coverage.state !== 'complete' && (
          <Text size="xs" c="orange" data-testid="export-partial">
            {result.summary.coverage.state === 'partial' ? 'Partial period' : 'Future period'}: {coverageText(result.summary.coverage)}. A
            report written after the period ends can differ.
          </Text>
        )}
        {result.evidenceFolder && (
          <Text size="xs" c="dimmed" data-testid="export-evidence">
            Drill evidence: {result.evidenceFiles} {result.evidenceFiles === 1 ? 'file' : 'files'} in{' '}
            <Code fz="xs">{result.evidenceFolder}</Code>, beside the workbook; keep them together.
            {transport === 'browser' && ' Download saves the workbook only; its pages show every screenshot and its SHA-256.'}
          </Text>
        )}
        <Group>
          <Button size="xs" variant="light" leftSection={<IconFolderOpen size={16} />} onClick={() => void open()} loading={opening}>
            Open folder
          </Button>
          {transport === 'browser' && (
            <Button
              size="xs"
              variant="light"
              leftSection={<IconDownload size={16} />}
              onClick={() => void download()}
              loading={downloading}
            >
              Download
            </Button>
          )}
        </Group>
        {message && (
          <Text size="sm" data-testid="open-folder-message">
            {message}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

/** Starts an export job and follows it through job events until the file is written. */
function useExport() {
  const [jobId, setJobId] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progressing | null>(null);
  const [result, setResult] = useState<ReportExportStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const jobRef = useRef<string | null>(null);
  const finished = useRef(new Set<string>());

  const settle = useCallback(async (id: string): Promise<void> => {
    const status = await api.getReportExport({ jobId: id });
    if (status.status === 'queued' || status.status === 'running') return;
    setRunning(false);
    setProgress(null);
    if (status.status === 'succeeded') setResult(status);
    else setError(status.error ?? `The export was ${status.status}.`);
  }, []);

  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'job.progress' && event.jobId === jobRef.current)
          setProgress({ phase: event.phase, done: event.bytesDone, total: event.bytesTotal });
        if (event.type === 'job.finished') {
          finished.current.add(event.jobId);
          if (event.jobId === jobRef.current) void settle(event.jobId);
        }
      }),
    [settle],
  );

  const start = (period: ReportPeriod): void => {
    setRunning(true);
    setResult(null);
    setError(null);
    setProgress({ phase: 'Starting', done: 0, total: 0 });
    api.startReportExport(period).then(
      (status) => {
        jobRef.current = status.jobId;
        setJobId(status.jobId);
        // The job may have finished before this answer arrived.
        if (finished.current.has(status.jobId) || (status.status !== 'queued' && status.status !== 'running')) void settle(status.jobId);
      },
      (failure: LifeboatError) => {
        setRunning(false);
        setError(failure.message);
      },
    );
  };

  return { jobId, running, progress, result, error, start };
}

function quarterLabel(period: ReportPeriod): string {
  return `Q${Math.floor(Number(period.from.slice(5, 7)) / 3) + 1} ${period.from.slice(0, 4)}`;
}
