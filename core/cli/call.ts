import fs from 'node:fs';
import type { Command } from 'commander';
import { methods } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { CliContext } from './context';
import { withEngineClient } from './engine-client';

const INPUT_HELP = `
The input is JSON text, or where to read it from, so that a password in it need not be on the command line
(where other accounts on this computer can see it, and shells keep history):
  -        read it from standard input, e.g.  lifeboat call saveEmailSettings - < settings.json
  @FILE    read it from FILE,           e.g.  lifeboat call saveGuestCredential @guest.json
`;

/** All of standard input, read to its end. */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** UTF-8 (with or without the byte-order mark Notepad writes), or UTF-16 LE as Windows PowerShell 5.1's `>` writes it. */
function decoded(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** The JSON text the user gave: itself, standard input ("-") or a file ("@file"). */
async function inputText(input: string): Promise<{ text: string; from: string }> {
  if (input === '-') return { text: decoded(await readStdin()), from: 'standard input' };
  if (!input.startsWith('@')) return { text: input, from: 'argument' };
  const file = input.slice(1);
  if (!file)
    throw new LifeboatError('INVALID_INPUT', 'No file name after "@".', {
      fix: 'Write the input file right after the @, e.g. @input.json.',
    });
  try {
    return { text: decoded(fs.readFileSync(file)), from: file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'this account may not read it'
            : (error as Error).message;
    throw new LifeboatError('INVALID_INPUT', `Cannot read the input file ${file}: ${reason}.`, {
      fix: 'Check the path after the @ (relative to the current folder) and that this account may read the file; or pass - to read the input from standard input.',
      cause: error,
    });
  }
}

/**
 * Where JSON.parse gave up, as a line and column: never its message, which can quote the text (and a
 * password in it), e.g. `Unexpected token 'h', "hunter2" is not valid JSON`.
 */
function whereInvalid(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return ` (line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /at position (\d+)/.exec(message);
  if (position) return ` (character ${Number(position[1]) + 1})`;
  if (/Unexpected end/i.test(message)) return ': it ends too early';
  return '';
}

/** The CLI transport of the whole ConsoleApi: any method, JSON in, JSON out. */
export function registerCall(program: Command, ctx: CliContext): void {
  program
    .command('call')
    .description('Call any ConsoleApi method with a JSON input and print its JSON result.')
    .argument('[method]', 'method name, e.g. getSettings')
    .argument('[input]', 'JSON input; - reads it from standard input, @FILE from a file', '{}')
    .option('--list', 'list every method with what it does')
    .addHelpText('after', INPUT_HELP)
    .action(async (method: string | undefined, input: string, options: { list?: boolean }, command: Command) => {
      if (options.list || method === undefined) {
        for (const [name, spec] of Object.entries(methods)) ctx.stdout(`${name.padEnd(24)} ${spec.summary}\n`);
        return;
      }
      if (input === '-' && process.stdin.isTTY)
        ctx.stderr('Reading the JSON input from the keyboard: end it with Ctrl-D (on Windows Ctrl-Z, then Enter).\n');
      const { text, from } = await inputText(input);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        if (from === 'argument') {
          throw new LifeboatError('INVALID_INPUT', 'The input is not valid JSON.', {
            fix: `Quote it for your shell, e.g. '{"organisation":"Acme"}', or pass - (standard input) or @FILE.`,
          });
        }
        throw new LifeboatError(
          'INVALID_INPUT',
          `The input from ${from} is not valid JSON${text.trim() === '' ? ': it is empty' : whereInvalid(error)}.`,
          {
            fix: 'Give one JSON value (usually an object, e.g. {"organisation":"Acme"}), UTF-8 encoded.',
          },
        );
      }
      // Through the running engine when one serves the data folder, so every console open on it hears of the change.
      const result = await withEngineClient(ctx, command, (client) =>
        (client as unknown as Record<string, (input: unknown) => Promise<unknown>>)[method]!(parsed),
      );
      ctx.stdout(JSON.stringify(result ?? null, null, 2) + '\n');
    });
}
