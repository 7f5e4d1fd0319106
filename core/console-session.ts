import { randomBytes } from 'node:crypto';
import type { Clock } from './clock';
import type { SecretsStore } from './store/secrets';
import type { SettingsStore } from './store/settings';

const TOKEN_SECRET = 'console-token';

/** What browser mode needs to come back where it was: the same token and, when free, the same port. */
export interface ConsoleSession {
  token: string;
  /** The port the console last listened on, tried again first so an open tab finds the engine after a restart. */
  lastPort: number | null;
}

/**
 * The browser-mode session outlives the engine process: the token is sealed at rest beside the other
 * secrets and kept until the operator asks for a new one, so a tab open across a restart carries on
 * instead of locking its user out.
 */
export class ConsoleSessions {
  constructor(
    private readonly secrets: SecretsStore,
    private readonly settings: SettingsStore,
    private readonly clock: Clock,
  ) {}

  /** The kept session; `renew` (or no readable token) makes a new token, and every old link stops working. */
  session(renew = false): ConsoleSession {
    let token = renew ? undefined : this.readToken();
    if (!token) {
      token = randomBytes(24).toString('base64url');
      this.secrets.put(TOKEN_SECRET, 'browser console access token', token, this.clock.now());
    }
    return { token, lastPort: this.settings.get('consolePort') ?? null };
  }

  rememberPort(port: number): void {
    this.settings.set('consolePort', port, this.clock.now());
  }

  private readToken(): string | undefined {
    try {
      return this.secrets.get(TOKEN_SECRET);
    } catch {
      // Sealed by another box (the desktop app's): a fresh token is the safe answer, not a locked console.
      return undefined;
    }
  }
}
