import { createRequire } from 'node:module';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { screenshot } from './browser';

const require = createRequire(import.meta.url);

/** The console as a user first sees it: a 1366×900 window on the Dashboard (light theme unless told). */
export async function openDashboard(browser: Browser, url: string, options: BrowserContextOptions = {}, timeoutMs = 20_000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, colorScheme: 'light', ...options });
  page.setDefaultTimeout(timeoutMs);
  await page.goto(url);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return page;
}
const AXE = require.resolve('axe-core/axe.min.js');

/**
 * What a user does, counted: one click, one field filled or one box ticked is one action. The first-run
 * journey's budget is checked against this count.
 */
export class ActionCounter {
  count = 0;
  readonly log: string[] = [];

  async click(locator: Locator, what = String(locator)): Promise<void> {
    await locator.click();
    this.note(`click ${what}`);
  }

  async fill(locator: Locator, value: string, what = String(locator)): Promise<void> {
    await locator.fill(value);
    this.note(`fill ${what}`);
  }

  async check(locator: Locator, what = String(locator)): Promise<void> {
    await locator.check();
    this.note(`tick ${what}`);
  }

  private note(entry: string): void {
    this.count++;
    this.log.push(`${this.count}. ${entry}`);
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core in the page; returns the serious and critical violations (the ones a test fails on). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
          }>;
        };
      }
    ).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`.slice(0, 300)),
    }));
}

/** Waits until no finite transition runs (a modal fading in), so screenshots and axe see the settled page. */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document
      .getAnimations()
      .every((animation) => animation.playState !== 'running' || animation.effect?.getComputedTiming().iterations === Infinity),
  );
}

/** Calls the console's HTTP API as the page does (for setting a scene the journey is not about). */
export async function callApi<T = unknown>(console: { origin: string; token: string }, method: string, input: unknown = {}): Promise<T> {
  const response = await fetch(`${console.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${console.token}` },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`${method}: ${body.error?.message ?? response.status}`);
  return body;
}

/** Closes every toast, as a user would before reaching what they cover (top right of the page). */
export async function dismissToasts(page: Page): Promise<void> {
  const close = page.locator('.mantine-Notification-root .mantine-Notification-closeButton');
  while ((await close.count()) > 0) {
    await close
      .first()
      .click({ timeout: 2000 })
      .catch(() => undefined);
    await page.waitForTimeout(50);
  }
}

/** A settled, full-page screenshot from the top (fixed header and navbar drawn once, where they belong). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await settle(page);
  await screenshot(page, name);
}
