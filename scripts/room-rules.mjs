// The room rules of the architecture map (README → Architecture), as eslint `no-restricted-imports` configs.
// Arrows point one way: the leaf rooms below name every room they may import; a room not in the table may
// import any room but the shells (cli/, http/) and the service that only the shells construct.

/** Leaf rooms and the rooms (or top-level core/*.ts modules) each may import besides itself. */
export const leafRooms = {
  contract: [],
  disks: ['contract'],
  secrets: ['contract'],
  logging: ['contract'],
  hypervisors: ['contract', 'disks', 'child-env'],
  vault: ['contract', 'disks', 'rate-window', 'service-context'],
  store: ['contract', 'data-dir', 'secrets', 'clock'],
  schedule: ['contract', 'store', 'clock', 'event-bus'],
  jobs: ['contract', 'store', 'clock', 'event-bus', 'rate-window', 'hypervisors'],
};

/** Only the shells build the service; nothing else reaches into them. */
const shellOnly = ['cli', 'http', 'service'];

/** hypervisors, disks and vault see each other only through a room's public surface (index.ts, types.ts). */
const publicSurface = {
  disks: ['index', 'types'],
  hypervisors: ['index', 'types', 'registry', 'disk-path'],
};

/** core/hosts/ builds the providers for the host catalog (certificates, the sample lab): it is their factory. */
const surfaceExempt = { hypervisors: ['hosts'] };

const MAX_DEPTH = 3; // core/<room>/<folder>/<file>.ts

const up = (depth) => `^(?:\\.\\./){${depth}}`;
const names = (list) => `(?:${list.join('|')})(?:/|\\.ts$|$)`;

function roomPatterns(room, depth) {
  const patterns = [];
  const allowed = leafRooms[room];
  if (allowed) {
    patterns.push({
      regex: `${up(depth)}(?!${names([room, ...allowed])})[^./]`,
      message: `core/${room}/ may import only ${allowed.length ? allowed.map((r) => `core/${r}`).join(', ') : 'core/contract/ itself'} (the room rules in README → Architecture).`,
    });
  } else if (room !== 'cli' && room !== 'http') {
    patterns.push({
      regex: `${up(depth)}${names(shellOnly)}`,
      message: 'Only the shells (core/cli/, core/http/, electron/) build the service or reach into the shells.',
    });
  }
  for (const [other, surface] of Object.entries(publicSurface)) {
    if (other === room || surfaceExempt[other]?.includes(room)) continue;
    patterns.push({
      regex: `${up(depth)}${other}/(?!${names(surface)})`,
      message: `Import core/${other}/ through its public surface (${surface.map((f) => `${other}/${f}`).join(', ')}), not a module inside it.`,
    });
  }
  return patterns;
}

/**
 * One config object per room and folder depth, after the general core/ one: eslint lets a later object
 * replace a rule, never merge it, so each carries the base patterns too.
 */
export function roomRuleConfigs(base) {
  const configs = [];
  const rule = (patterns) => ({ 'no-restricted-imports': ['error', { paths: base.paths, patterns: [...base.patterns, ...patterns] }] });
  for (let depth = 1; depth <= MAX_DEPTH; depth += 1) {
    const below = '*/'.repeat(depth - 1);
    configs.push({ files: [`core/*/${below}*.ts`], rules: rule(roomPatterns('', depth)) });
    for (const room of [...Object.keys(leafRooms), 'cli', 'http', 'hosts']) {
      const extra =
        room === 'contract' ? [{ group: ['node:*'], message: 'core/contract is shared with the renderer: no Node modules.' }] : [];
      configs.push({ files: [`core/${room}/${below}*.ts`], rules: rule([...roomPatterns(room, depth), ...extra]) });
    }
  }
  return configs;
}
