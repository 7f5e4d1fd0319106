/**
 * Every failure that reaches a user is a LifeboatError: a stable code that callers branch on, a message in
 * plain words, and — whenever there is one — the fix ("what to do next"). Transports turn it into an HTTP
 * status, an IPC envelope or a CLI exit code; nothing else crosses the boundary (no stack traces in the UI).
 */
export const errorCodes = {
  INVALID_INPUT: { http: 400, exit: 2 },
  UNKNOWN_METHOD: { http: 404, exit: 2 },
  NOT_FOUND: { http: 404, exit: 1 },
  UNAUTHORIZED: { http: 401, exit: 1 },
  CONFLICT: { http: 409, exit: 1 },
  NOT_SET_UP: { http: 409, exit: 1 },
  DATABASE_TOO_NEW: { http: 500, exit: 1 },
  DATABASE_UNREADABLE: { http: 500, exit: 1 },
  DATA_FOLDER_UNUSABLE: { http: 500, exit: 1 },
  /** The disk under the data folder (catalog, logs, engine lock) is full; nothing saved is lost. */
  DATA_FOLDER_FULL: { http: 507, exit: 1 },
  SECRET_UNREADABLE: { http: 500, exit: 1 },
  WRONG_PASSPHRASE: { http: 403, exit: 3 },
  CANCELLED: { http: 409, exit: 1 },
  AUDIT_TAMPERED: { http: 409, exit: 1 },
  // Virtual disks
  DISK_INVALID: { http: 422, exit: 1 },
  DISK_UNSUPPORTED: { http: 422, exit: 1 },
  // The vault and its storage backends
  VAULT_NOT_FOUND: { http: 404, exit: 1 },
  VAULT_EXISTS: { http: 409, exit: 1 },
  VAULT_LOCKED: { http: 409, exit: 1 },
  VAULT_CORRUPT: { http: 500, exit: 1 },
  BACKEND_UNAVAILABLE: { http: 503, exit: 1 },
  STORAGE_FULL: { http: 507, exit: 1 },
  // Hypervisors
  HOST_UNREACHABLE: { http: 502, exit: 1 },
  ACCESS_DENIED: { http: 403, exit: 1 },
  MODULE_MISSING: { http: 424, exit: 1 },
  VM_NOT_FOUND: { http: 404, exit: 1 },
  CHECKPOINT_FAILED: { http: 502, exit: 1 },
  CERTIFICATE_CHANGED: { http: 495, exit: 1 },
  SESSION_EXPIRED: { http: 401, exit: 1 },
  PROVIDER_OUTPUT_INVALID: { http: 502, exit: 1 },
  // Failover and failback
  CONFIRMATION_MISMATCH: { http: 400, exit: 2 },
  PLAN_BUSY: { http: 409, exit: 1 },
  NO_RECOVERY_POINT: { http: 409, exit: 1 },
  // Drills
  SCRIPT_FAILED: { http: 422, exit: 1 },
  INTERNAL: { http: 500, exit: 1 },
} as const satisfies Record<string, { http: number; exit: number }>;

export type ErrorCode = keyof typeof errorCodes;

/** The JSON shape of an error on every transport. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  fix?: string;
  /** The input field at fault, dotted ("vault.path"), for INVALID_INPUT. */
  field?: string;
}

export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { fix?: string; field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.fix = options.fix;
    this.field = options.field;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.fix !== undefined) body.fix = this.fix;
    if (this.field !== undefined) body.field = this.field;
    return body;
  }

  static fromBody(body: ErrorBody): LifeboatError {
    const options: { fix?: string; field?: string } = {};
    if (body.fix !== undefined) options.fix = body.fix;
    if (body.field !== undefined) options.field = body.field;
    return new LifeboatError(body.code in errorCodes ? body.code : 'INTERNAL', body.message, options);
  }
}

/**
 * Any thrown value as a LifeboatError. Unexpected errors keep their message (it is all the user can report)
 * but are marked INTERNAL so transports never leak a stack.
 */
export function toLifeboatError(error: unknown): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new LifeboatError('INTERNAL', message || 'Unexpected error', {
    fix: 'Try again. If it keeps happening, export diagnostics from Settings and contact support.',
    cause: error,
  });
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string'
  );
}
