// A grammar check and lint for Lifeboat's PowerShell scripts (resources/powershell/*.ps1), run by `npm run lint`.
// The scripts run under Windows PowerShell 5.1 on the customer's Hyper-V host, where nobody sees a parse error
// until a drill or a failover needs the script; this check finds them here. It parses each script with the
// tree-sitter PowerShell grammar (the prebuilt tree-sitter-powershell.wasm that the npm package ships, loaded by
// web-tree-sitter: no compiler, no native binding) and reports, as {line, column, kind, message}:
//   ERROR / MISSING  every ERROR or MISSING node of the parse tree (less the grammar's known false errors below);
//   invoke-expression, silent-destructive, string-command  the lint rules that protect the hosts;
//   ps7-syntax  PowerShell 7-only syntax (??, ??=, ?., ?[], a ? b : c, && and ||) that 5.1 cannot run.
// Usage: node scripts/powershell-check.mjs [files...]   (default: every resources/powershell/*.ps1);
// prints `file:line:col kind message` and exits 1 on any problem.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Language, Parser } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
const GRAMMAR_WASM = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');

await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(fs.readFileSync(GRAMMAR_WASM)));

/**
 * @typedef {{ line: number, column: number, kind: string, message: string }} Problem
 * @typedef {import('web-tree-sitter').Node} SyntaxNode
 */

// The grammar's known false errors. Each is checked, not skipped: the text is rewritten to a spelling that
// means exactly the same to PowerShell 5.1, and the rewritten text is what gets parsed and linted, so a real
// error next to one of these is still found. Rewrites keep every character's offset.
const FALSE_ERRORS = [
  {
    // switch -Regex (or any switch) with a double-quoted clause condition holding "(": `"^(\d+)$" { ... }`.
    // The grammar ends the string at the "(" and reports an ERROR, yet it is an ordinary clause (the
    // PowerShell language spec, switch-clause-condition: any primary-expression, strings included). A
    // double-quoted string with no `$` (but a last one) and no backtick expands nothing, so it means the same as the
    // single-quoted string with the same characters: that spelling is parsed instead.
    id: 'switch-double-quoted-condition',
    find(/** @type {SyntaxNode} */ node, /** @type {string} */ text) {
      const condition = node.type === 'ERROR' ? node.namedChildren[0] : null;
      if (!condition || condition.type !== 'switch_clause_condition' || !/^switch_(body|clauses)$/.test(node.parent?.type ?? ''))
        return null;
      if (!condition.text.startsWith('"')) return null;
      const start = condition.startIndex;
      const end = text.indexOf('"', start + 1);
      const lineEnd = text.indexOf('\n', start);
      if (end < 0 || (lineEnd >= 0 && end > lineEnd)) return null;
      const inner = text.slice(start + 1, end);
      // A `$` right before the closing quote is a literal `$` (the regex's end anchor), as in "^(\d+)$".
      if (/[$`'\u2018\u2019\u201a\u201b\u201c\u201d\u201e]/.test(inner.replace(/\$$/, ''))) return null;
      return { start, end };
    },
    rewrite(/** @type {string} */ text, /** @type {{ start: number, end: number }} */ at) {
      return `${text.slice(0, at.start)}'${text.slice(at.start + 1, at.end)}'${text.slice(at.end + 1)}`;
    },
  },
];

// Lint findings that are the script's purpose, by file name and the exact text of the node. Keep it short.
const LINT_EXEMPTIONS = [
  {
    // A drill's in-guest check is the plan author's own PowerShell text (they can already run anything in
    // their guest); it travels as an argument value and becomes a script block only inside the guest session,
    // never joined with anything. Turning text into code is what this script is for.
    file: 'Invoke-LifeboatGuestScript.ps1',
    kind: 'string-command',
    text: '[scriptblock]::Create($text)',
  },
];

const DESTRUCTIVE_VERB = /^(remove|stop|set|clear|restart|disable|dismount|uninstall|merge|suspend)-/i;
const SILENT_ACTION = /\b(silentlycontinue|ignore)\b/i;
const SCRIPTBLOCK_TYPE = /^(system\.management\.automation\.)?scriptblock$/i;
const POWERSHELL_EXE = /(^|[\\/])(powershell|pwsh)(\.exe)?$/i;
const COMMAND_SWITCH = /(^|[\s'",])-(command|c|encodedcommand|enc|ec)(?![\w-])/i;

/** The node's start as a 1-based line and column (in characters, whatever the encoding). */
function position(/** @type {string} */ text, /** @type {number} */ index) {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: index - lineStart + 1 };
}

/** Every node of the tree, depth first, in source order. */
function* walk(/** @type {SyntaxNode} */ node) {
  yield node;
  for (const child of node.children) if (child) yield* walk(child);
}

/** A command's name without its module qualifier (Hyper-V\Remove-VM -> Remove-VM), or null for `& ...`. */
function commandName(/** @type {SyntaxNode} */ command) {
  const name = command.children.find((c) => c?.type === 'command_name');
  return name ? name.text.replace(/^.*\\/, '') : null;
}

/** A command's arguments and parameters, without the separators. */
function commandElements(/** @type {SyntaxNode} */ command) {
  const elements = command.children.find((c) => c?.type === 'command_elements');
  return elements ? elements.children.filter((c) => c && c.type !== 'command_argument_sep') : [];
}

const LEAF_EXPRESSIONS = new Set([
  'string_literal',
  'variable',
  'script_block_expression',
  'command',
  'invokation_expression',
  'member_access',
]);

/** Strips the grammar's single-child wrappers (pipeline > ... > unary_expression, parentheses). */
function unwrap(/** @type {SyntaxNode} */ node) {
  let current = node;
  for (;;) {
    const named = current.namedChildren.filter((c) => c && c.type !== 'comment');
    const inner = named[0];
    if (named.length !== 1 || !inner) return current;
    if (LEAF_EXPRESSIONS.has(current.type)) return current;
    current = inner;
  }
}

/** A string built at run time: an expandable string with $x or $(...) in it, a concatenation or -f. */
function isBuiltString(/** @type {SyntaxNode} */ node, /** @type {Set<string>} */ stringVariables) {
  const inner = unwrap(node);
  if (inner.type === 'string_literal') {
    const literal = inner.namedChildren[0];
    return Boolean(literal && /^expandable/.test(literal.type) && literal.namedChildren.length > 0);
  }
  if (inner.type === 'variable') return stringVariables.has(inner.text.toLowerCase());
  if (/additive(_argument)?_expression/.test(inner.type) && inner.children.some((c) => c?.type === '+')) {
    return [...walk(inner)].some((n) => n.type === 'string_literal');
  }
  if (/format(_argument)?_expression/.test(inner.type) && inner.children.some((c) => c?.type === 'format_operator')) return true;
  return false;
}

/** Variables assigned a built string anywhere in the script (`$cmd = "Get-VM $name"`). */
function builtStringVariables(/** @type {SyntaxNode} */ root) {
  const found = new Set();
  for (const node of walk(root)) {
    if (node.type !== 'assignment_expression') continue;
    const [target, , value] = node.children;
    const variable = target && unwrap(target);
    if (variable?.type === 'variable' && value && isBuiltString(value, new Set())) found.add(variable.text.toLowerCase());
  }
  return found;
}

/** The value given to a parameter: `-Name value` or `-Name:value`. */
function parameterValue(/** @type {SyntaxNode[]} */ elements, /** @type {number} */ index) {
  const next = elements[index + 1];
  return next && next.type !== 'command_parameter' ? next : null;
}

function isErrorActionParameter(/** @type {string} */ text) {
  const name = text.replace(/^-/, '').replace(/:$/, '').toLowerCase();
  return name === 'ea' || (name.length >= 6 && 'erroraction'.startsWith(name));
}

/** PowerShell 7-only operators: the grammar does not know them and leaves them as ERROR tokens. */
function ps7Operator(/** @type {SyntaxNode} */ leaf, /** @type {string} */ text) {
  const match = /^\s*(\?\??)/.exec(leaf.text);
  if (!match || !match[1]) return null;
  const index = leaf.startIndex + leaf.text.indexOf('?');
  const after = text.slice(index + match[1].length).trimStart();
  if (match[1] === '??') return { index, message: after.startsWith('=') ? '??= (null-coalescing assignment)' : '?? (null-coalescing)' };
  if (text[index + 1] === '.') return { index, message: '?. (null-conditional member access)' };
  if (text[index + 1] === '[') return { index, message: '?[] (null-conditional index)' };
  return { index, message: 'a ? b : c (ternary operator)' };
}

/** The parse problems: outermost ERROR nodes and MISSING nodes; ERRORs made of PowerShell 7 operators say so. */
function grammarProblems(/** @type {SyntaxNode} */ root, /** @type {string} */ text) {
  /** @type {Problem[]} */
  const problems = [];
  const visit = (/** @type {SyntaxNode} */ node) => {
    if (node.isMissing) {
      problems.push({ ...position(text, node.startIndex), kind: 'MISSING', message: `missing ${JSON.stringify(node.type)}` });
      return;
    }
    if (node.type === 'ERROR') {
      const operators = [...walk(node)]
        .filter((n) => n.type === 'ERROR' && n.childCount === 0)
        .map((n) => ps7Operator(n, text))
        .filter((o) => o !== null);
      for (const operator of operators) {
        problems.push({
          ...position(text, operator.index),
          kind: 'ps7-syntax',
          message: `${operator.message} needs PowerShell 7; the scripts run on Windows PowerShell 5.1`,
        });
      }
      if (operators.length === 0) {
        const snippet = node.text.trim().split('\n')[0]?.slice(0, 60) ?? '';
        problems.push({ ...position(text, node.startIndex), kind: 'ERROR', message: `syntax error at ${JSON.stringify(snippet)}` });
      }
      return;
    }
    if (node.hasError) for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return problems;
}

/** The lint rules, over the same tree. */
function lintProblems(/** @type {SyntaxNode} */ root, /** @type {string} */ text) {
  /** @type {Array<Problem & { node: SyntaxNode }>} */
  const problems = [];
  const report = (/** @type {SyntaxNode} */ node, /** @type {string} */ kind, /** @type {string} */ message) =>
    problems.push({ ...position(text, node.startIndex), kind, message, node });
  const stringVariables = builtStringVariables(root);

  for (const node of walk(root)) {
    if (node.type === 'pipeline_chain_tail') {
      const operator = node.children.find((c) => c?.type === '&&' || c?.type === '||') ?? node;
      report(operator, 'ps7-syntax', `${operator.text} (pipeline chain) needs PowerShell 7; use if ($?) or try/catch on 5.1`);
    }

    if (node.type === 'invokation_expression') {
      const [target, , member] = node.children;
      const memberName = member?.text.toLowerCase();
      const type = target?.type === 'type_literal' ? target.descendantsOfType('type_name')[0]?.text : null;
      const viaInvokeCommand = (() => {
        for (let up = node.parent; up && up.type !== 'script_block'; up = up.parent) {
          if (up.type === 'command') return /^invoke-command$/i.test(commandName(up) ?? '');
        }
        return false;
      })();
      if (type && SCRIPTBLOCK_TYPE.test(type) && memberName === 'create') {
        report(
          node,
          'string-command',
          viaInvokeCommand
            ? 'Invoke-Command -ScriptBlock ([scriptblock]::Create(...)) runs text as code: pass a literal script block and -ArgumentList'
            : '[scriptblock]::Create turns text into code: use a literal script block and pass values as arguments',
        );
      } else if (
        /^\$executioncontext\.invokecommand$/i.test(target?.text ?? '') &&
        /^(newscriptblock|invokescript)$/.test(memberName ?? '')
      ) {
        report(node, 'string-command', `$ExecutionContext.InvokeCommand.${member?.text} turns text into code: use a literal script block`);
      }
    }

    if (node.type !== 'command') continue;
    const name = commandName(node);
    const elements = commandElements(node);

    if (name === null) {
      // & expr / . expr: calling a string built at run time is Invoke-Expression by another name.
      const operator = node.children.find((c) => c?.type === 'command_invokation_operator');
      const operand = node.children.find((c) => c?.type === 'command_name_expr');
      if (operator && operand && isBuiltString(operand, stringVariables)) {
        report(
          node,
          'string-command',
          `${operator.text.trim()} on a string built at run time runs text as code: call a command or script block`,
        );
      }
      continue;
    }

    if (/^(invoke-expression|iex)$/i.test(name)) {
      report(node, 'invoke-expression', `${name} runs text as code: call the command directly and pass values as parameters`);
    }

    if (DESTRUCTIVE_VERB.test(name)) {
      elements.forEach((element, index) => {
        if (element.type !== 'command_parameter' || !isErrorActionParameter(element.text)) return;
        const value = parameterValue(elements, index);
        if (value && SILENT_ACTION.test(value.text)) {
          report(
            element,
            'silent-destructive',
            `${name} ${element.text} ${value.text} hides a failed destructive step: let it throw or handle it`,
          );
        }
      });
    }

    const launchesPowerShell =
      (/^(start-process|saps|start)$/i.test(name) && elements.some((e) => POWERSHELL_EXE.test(e.text.replace(/^['"]|['"]$/g, '')))) ||
      POWERSHELL_EXE.test(name);
    if (launchesPowerShell) {
      const commandIndex = elements.findIndex((e) => COMMAND_SWITCH.test(e.text));
      const value = commandIndex >= 0 ? parameterValue(elements, commandIndex) : null;
      const literalBlock = POWERSHELL_EXE.test(name) && value !== null && unwrap(value).type === 'script_block_expression';
      if (commandIndex >= 0 && !literalBlock) {
        report(node, 'string-command', `${name} starts PowerShell with -Command text: call the script file with -File and parameters`);
      }
    }
  }
  return problems;
}

/**
 * Parses one PowerShell script and returns its problems, in source order.
 * @param {string} text the script
 * @param {string} [fileName] its name, for the lint exemptions
 * @returns {Problem[]}
 */
export function checkPowerShell(text, fileName = '') {
  let source = text.replace(/^\uFEFF/, ' ');
  let tree = parser.parse(source);
  for (let guard = 0; tree?.rootNode.hasError && guard < 1000; guard++) {
    const rewritten = (() => {
      for (const node of walk(tree.rootNode)) {
        for (const falseError of FALSE_ERRORS) {
          const at = falseError.find(node, source);
          if (at) return falseError.rewrite(source, at);
        }
      }
      return null;
    })();
    if (rewritten === null) break;
    tree.delete();
    source = rewritten;
    tree = parser.parse(source);
  }
  if (!tree) throw new Error(`could not parse ${fileName}`);
  try {
    const base = path.basename(fileName);
    const lint = lintProblems(tree.rootNode, source).filter(
      (p) => !LINT_EXEMPTIONS.some((e) => e.file === base && e.kind === p.kind && e.text === p.node.text),
    );
    return [...grammarProblems(tree.rootNode, source), ...lint.map(({ node: _node, ...problem }) => problem)].sort(
      (a, b) => a.line - b.line || a.column - b.column,
    );
  } finally {
    tree.delete();
  }
}

function main(/** @type {string[]} */ args) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, 'resources', 'powershell');
  const files =
    args.length > 0
      ? args
      : fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.ps1'))
          .sort()
          .map((f) => path.join(dir, f));
  let count = 0;
  for (const file of files) {
    for (const problem of checkPowerShell(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${path.relative(process.cwd(), file)}:${problem.line}:${problem.column} ${problem.kind} ${problem.message}`);
      count++;
    }
  }
  if (count > 0) {
    console.error(`powershell-check: ${count} problem${count === 1 ? '' : 's'} in ${files.length} script${files.length === 1 ? '' : 's'}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main(process.argv.slice(2));
