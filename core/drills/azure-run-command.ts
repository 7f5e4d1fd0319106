import type { GuestScriptResult, GuestTcpResult } from '../hypervisors/types';

/**
 * The scripts Lifeboat sends through Azure Run Command (RunShellScript / RunPowerShellScript) and how their
 * output is read back. Run Command returns only stdout and stderr, so each script prints its own result line.
 */
export type GuestOs = 'Linux' | 'Windows';

const TCP_MARK = 'lifeboat-tcp=';
const EXIT_MARK = 'lifeboat-exit=';

/**
 * Connects to the port from inside the guest and prints the first lines of its answer: an HTTP server answers
 * the HEAD it is sent (`HTTP/1.0 200 OK`), SSH and SMTP their banner. Linux: nc, else curl, else bash's /dev/tcp.
 */
export function tcpProbeScript(os: GuestOs, port: number): string[] {
  const p = Math.trunc(port);
  if (os === 'Windows') {
    return [
      '$c = New-Object Net.Sockets.TcpClient',
      `try { $c.Connect('127.0.0.1', ${p}); '${TCP_MARK}0'; $s = $c.GetStream(); $s.ReadTimeout = 3000`,
      '  $w = [Text.Encoding]::ASCII.GetBytes("HEAD / HTTP/1.0`r`n`r`n"); $s.Write($w, 0, $w.Length)',
      '  $b = New-Object byte[] 512; try { $n = $s.Read($b, 0, 512); [Text.Encoding]::ASCII.GetString($b, 0, $n) } catch { }',
      `} catch { '${TCP_MARK}1'; $_.Exception.Message } finally { $c.Close() }`,
    ];
  }
  return [
    `p=${p}`,
    "if command -v nc >/dev/null 2>&1; then a=$(printf 'HEAD / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 127.0.0.1 $p 2>&1); r=$?",
    'elif command -v curl >/dev/null 2>&1; then a=$(curl -sS -m 5 -I http://127.0.0.1:$p/ 2>&1); r=$?',
    'else a=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p && echo connected" 2>&1); r=$?; fi',
    `echo "${TCP_MARK}$r"`,
    'printf \'%s\\n\' "$a" | head -n 3',
  ];
}

/** What the probe printed, as a guest TCP result; null when the output is not the probe's (no agent answer). */
export function parseTcpProbe(stdout: string, port: number): GuestTcpResult | null {
  const lines = stdout.replace(/\r/g, '').split('\n');
  const at = lines.findIndex((l) => l.startsWith(TCP_MARK));
  if (at < 0) return null;
  const code = Number(lines[at]!.slice(TCP_MARK.length));
  const rest = lines
    .slice(at + 1)
    .join('\n')
    .trim();
  if (code === 0 && !/refused|timed out|unreachable/i.test(rest)) return { outcome: 'answered', port, answer: rest || null };
  return { outcome: /timed out|timeout/i.test(rest) ? 'timeout' : 'refused', port, message: rest || `exit code ${code}` };
}

/**
 * The plan's check script, run so that its exit code is printed after it: a subshell (a script block on
 * Windows) keeps an `exit` in the script from skipping the line.
 */
export function checkScript(os: GuestOs, script: string): string[] {
  if (os === 'Windows') {
    return [
      '& {',
      ...script.split(/\r?\n/),
      '}',
      `'${EXIT_MARK}' + $(if ($?) { if ($LASTEXITCODE) { $LASTEXITCODE } else { 0 } } else { 1 })`,
    ];
  }
  return ['(', ...script.split(/\r?\n/), ')', `echo "${EXIT_MARK}$?"`];
}

/** Run Command's stdout and stderr of checkScript as a guest script result: passes on exit 0 and no error output. */
export function parseCheckScript(answer: { stdout: string; stderr: string }): GuestScriptResult {
  const lines = answer.stdout.replace(/\r/g, '').split('\n');
  const at = lines.map((l) => l.startsWith(EXIT_MARK)).lastIndexOf(true);
  const exitCode = at < 0 ? null : Number(lines[at]!.slice(EXIT_MARK.length));
  const output = (at < 0 ? lines : lines.slice(0, at)).join('\n').trim().slice(0, 4000);
  const errors = answer.stderr.trim() ? [answer.stderr.trim().slice(0, 4000)] : [];
  if (exitCode === null) errors.push('The script did not finish: Run Command returned before its last line ran.');
  const outcome = exitCode === 0 && errors.length === 0 ? 'succeeded' : 'failed';
  return { outcome, output, errors, exitCode };
}
