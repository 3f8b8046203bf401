import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/**
 * Without the background-networking flags Chromium keeps dialling Google's
 * services, and this machine's closed network refuses those connections.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, installed by scripts/ensure-chromium.sh when missing. Never skipped: a missing browser fails the test. */
async function ensureChromium(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('bash', [path.join(ROOT, 'scripts/ensure-chromium.sh')], { timeout: 9 * 60_000 });
    return stdout.trim().split('\n').pop()!;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Chromium is needed for the console's browser test and could not be installed:\n${e.stderr ?? e.message}`);
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, driven by playwright-core (which downloads no browser). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium();
  // A fresh profile each run; Playwright takes it as an argument rather than a --user-data-dir flag.
  const profile = mkdtempSync(path.join(tmpdir(), 'console-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
