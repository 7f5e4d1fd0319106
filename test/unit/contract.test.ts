import { describe, expect, it } from 'vitest';
import { createLocalClient, dispatch, isMethodName, LifeboatError, methods, type ConsoleApi } from '../../core/contract';

const STRONG = 'correct horse battery staple';

/** An implementation that records what reached it, to prove validation happens before the handler. */
function recordingApi(): { api: ConsoleApi; calls: unknown[] } {
  const calls: unknown[] = [];
  const handler = async (input: unknown) => {
    calls.push(input);
    return input as never;
  };
  const api = Object.fromEntries(Object.keys(methods).map((name) => [name, handler])) as unknown as ConsoleApi;
  return { api, calls };
}

async function rejection(promise: Promise<unknown>): Promise<LifeboatError> {
  try {
    await promise;
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected a rejection');
}

describe('ConsoleApi contract', () => {
  it('declares every method once with a summary and a schema', () => {
    for (const [name, spec] of Object.entries(methods)) {
      expect(spec.summary, name).toMatch(/\w+/);
      expect(typeof spec.input.safeParse, name).toBe('function');
    }
    expect(isMethodName('getSettings')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
  });

  it('rejects an unknown method before anything runs', async () => {
    const { api, calls } = recordingApi();
    const error = await rejection(dispatch(api, 'dropTables', {}));
    expect(error.code).toBe('UNKNOWN_METHOD');
    expect(error.httpStatus).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it('names the offending field of invalid input', async () => {
    const { api, calls } = recordingApi();
    const relative = await rejection(
      dispatch(api, 'completeFirstRun', { organisation: 'Acme', vault: { kind: 'folder', path: 'vault' }, passphrase: STRONG }),
    );
    expect(relative.code).toBe('INVALID_INPUT');
    expect(relative.field).toBe('vault.path');
    expect(relative.message).toMatch(/^vault\.path: Use a full path/);

    const weak = await rejection(
      dispatch(api, 'completeFirstRun', {
        organisation: 'Acme',
        vault: { kind: 'folder', path: '/srv/vault' },
        passphrase: 'password1234',
      }),
    );
    expect(weak.field).toBe('passphrase');

    const empty = await rejection(dispatch(api, 'updateSettings', { organisation: '  ' }));
    expect(empty.field).toBe('organisation');
    const nothing = await rejection(dispatch(api, 'updateSettings', {}));
    expect(nothing.message).toBe('Nothing to change.');
    expect(calls).toHaveLength(0);
  });

  it('passes parsed input (trimmed, defaults applied) to the implementation', async () => {
    const { api, calls } = recordingApi();
    const client = createLocalClient(api);
    await client.updateSettings({ organisation: '  Acme Ltd  ' });
    await client.getStatus();
    expect(calls).toEqual([{ organisation: 'Acme Ltd' }, {}]);
  });

  it('accepts Windows drive, UNC and POSIX vault paths', async () => {
    const { api } = recordingApi();
    for (const path of ['D:\\LifeboatVault', '\\\\nas01\\backups\\lifeboat', '/mnt/vault']) {
      await expect(
        dispatch(api, 'completeFirstRun', { organisation: 'A', vault: { kind: 'folder', path }, passphrase: STRONG }),
      ).resolves.toBeDefined();
    }
  });

  it('round-trips errors through their JSON body', () => {
    const error = new LifeboatError('WRONG_PASSPHRASE', 'Wrong passphrase.', { fix: 'Type it again.' });
    const copy = LifeboatError.fromBody(JSON.parse(JSON.stringify(error.toBody())));
    expect(copy).toMatchObject({ code: 'WRONG_PASSPHRASE', message: 'Wrong passphrase.', fix: 'Type it again.' });
    expect(copy.exitCode).toBe(3);
    expect(LifeboatError.fromBody({ code: 'NO_SUCH_CODE' as never, message: 'x' }).code).toBe('INTERNAL');
  });
});
