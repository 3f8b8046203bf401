import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listening } from '../../scripts/server-process';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The README's "Try it" block, run exactly as written (bash, from the
 * repository root), against a fresh database of the test server. It starts
 * `npm start` on port 3000 in the background, as a newcomer would.
 */
const ROOT = path.resolve(__dirname, '../..');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('readme');
});
afterAll(() => db.drop());

function tryItBlock(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /Try it[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README has no "Try it" sh block');
  return block;
}


test('the README\'s "Try it" block works pasted as is: the order is accepted and its saga completes', async () => {
  if (await listening(3000)) throw new Error('port 3000 is in use: the README block needs it');
  const shell = spawn('bash', ['-c', tryItBlock()], {
    cwd: ROOT,
    // A process group of its own: the block leaves `npm start` running in the background.
    detached: true,
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  shell.stdout.on('data', (d) => (output += d));
  shell.stderr.on('data', (d) => (output += d));
  try {
    const code = await new Promise<number | null>((resolve) => shell.on('exit', resolve));
    expect(code).toBe(0);
    expect(output).toMatch(/"sku":"widget"/);
    expect(output).toMatch(/HTTP\/1\.1 202/);
    expect(output).toMatch(/"sagaId":"order-1"/);
    // The last line of the block read the saga back with the client's token.
    expect(output).toMatch(/"events":\[/);
    // The saga itself completes without anyone approving it; reading it takes the client token the block set.
    const clientToken = /CLIENT_TOKEN=(\S+)/.exec(tryItBlock())?.[1];
    let status = '';
    for (const end = Date.now() + 20_000; status !== 'COMPLETED' && Date.now() < end; ) {
      status = ((await fetch('http://127.0.0.1:3000/sagas/order-1', { headers: { authorization: `Bearer ${clientToken}` } }).then((r) => r.json())) as { status: string }).status;
      if (status !== 'COMPLETED') await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('COMPLETED');
  } finally {
    try {
      process.kill(-shell.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    for (const end = Date.now() + 20_000; (await listening(3000)) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);
