import { startTestApp, type TestApp } from '../support/app';
import { captureLogs } from './log-capture';

/** DBOS's own log lines arrive as JSON lines through our logger, not as plain text beside it. */
const logs = captureLogs('debug');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('dbos-logs', {}, logs.log);
}, 120_000);
afterAll(() => app?.close());

test("DBOS's launch lines go through our pino logger, tagged component dbos", () => {
  // captureLogs parses every written line as JSON: a plain-text line would throw here.
  const dbos = logs.lines().filter((l) => l.component === 'dbos');
  expect(dbos.length).toBeGreaterThan(0);
  for (const line of dbos) expect(line).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
  expect(dbos.map((l) => l.msg)).toEqual(
    expect.arrayContaining(['DBOS launched!', 'Registered new queue:', expect.stringMatching(/^No workflows to recover/)]),
  );
  expect(dbos.find((l) => l.msg === 'DBOS launched!')?.level).toBe(30);
});
