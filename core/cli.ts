import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { LifeboatError, toLifeboatError } from './contract/errors';
import { registerAgent } from './cli/agent';
import { registerAudit } from './cli/audit';
import { registerCall } from './cli/call';
import { registerCatalog } from './cli/catalog';
import { registerDiagnostics } from './cli/diagnostics';
import { registerDrills } from './cli/drills';
import { registerFailover } from './cli/failover';
import { registerProtection } from './cli/protection';
import { registerDiscover } from './cli/discover';
import { registerHosts } from './cli/hosts';
import { registerLab } from './cli/lab';
import { createCliContext } from './cli/context';
import { registerReport } from './cli/report';
import { registerServe } from './cli/serve';
import { registerSetup } from './cli/setup';
import { registerStatus } from './cli/status';
import { registerVault } from './cli/vault';
import { VERSION } from './version';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * The `lifeboat` command: the same service as the console, without a window. Returns the exit code:
 * 0 success, 1 failure, 2 usage error, 3 wrong passphrase (see core/contract/errors.ts).
 */
export async function main(argv: string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx = createCliContext(io, env);
  const program = new Command('lifeboat')
    .description('Lifeboat disaster-recovery console: protect VMs, run DR drills, prove it to auditors.')
    .version(VERSION, '-V, --version')
    .option('--data <dir>', 'data folder holding the catalog (default: LIFEBOAT_DATA or the per-user app folder)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  registerServe(program, ctx);
  registerAgent(program, ctx);
  registerStatus(program, ctx);
  registerSetup(program, ctx);
  registerAudit(program, ctx);
  registerProtection(program, ctx);
  registerDrills(program, ctx);
  registerFailover(program, ctx);
  registerDiagnostics(program, ctx);
  registerHosts(program, ctx);
  registerDiscover(program, ctx);
  registerLab(program, ctx);
  registerReport(program, ctx);
  registerCatalog(program, ctx);
  registerCall(program, ctx);
  registerVault(program, ctx);

  // Subcommands inherit the error handling and output of the program, so every level exits the same way.
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    command.showHelpAfterError(false);
    command.commands.forEach(configure);
  };
  configure(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one-line reason; help and version are not failures.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof InvalidArgumentError) return 2;
    const failure = toLifeboatError(error);
    io.stderr(`error: ${failure.message}\n`);
    if (failure.fix) io.stderr(`  fix: ${failure.fix}\n`);
    return failure.exitCode;
  }
}

export { LifeboatError };
