import path from 'node:path';
import type { Page } from 'playwright-core';
import { setSwitch } from '../../src/providers';
import { http, startTestApp, ADMIN_TOKEN, type TestApp } from '../support/app';
import { ARTIFACTS, launchBrowser, type Browser } from './browser';

/**
 * The console end to end: the whole service in this process, driven by a real
 * headless Chromium the way an operator would use it.
 */
let app: TestApp;
let browser: Browser;
let page: Page;

/** Uncaught errors and CSP violations in any page: the last test expects none. */
const pageErrors: string[] = [];
const APPROVAL_THRESHOLD = 500;
const SKU = 'sku-console';

beforeAll(async () => {
  // Installing Chromium (first run on a fresh machine) can take minutes.
  [app, browser] = await Promise.all([
    startTestApp('console', { approvalThreshold: APPROVAL_THRESHOLD, approvalTimeoutSeconds: 600 }),
    launchBrowser(),
  ]);
  expect((await http(app, 'POST', `/inventory/${SKU}/stock`, { body: { quantity: 100 }, token: true })).status).toBe(200);
  page = await newPage();
}, 10 * 60_000);

/** A new tab (its own sessionStorage, so no token yet), its errors collected. */
async function newPage(): Promise<Page> {
  const p = await browser.context.newPage();
  p.on('pageerror', (err) => pageErrors.push(err.message));
  p.on('console', (msg) => msg.type() === 'error' && /Content Security Policy/.test(msg.text()) && pageErrors.push(msg.text()));
  return p;
}

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage: true });
const header = () => page.locator('#saga-header');

/** Fill the console's order form and start the saga; returns the saga id the console navigated to. */
async function startOrder(order: { quantity: number; unitPrice: number; card: string }): Promise<string> {
  await page.goto(`${app.url}/console/#/sagas`);
  await page.locator('details.new-order > summary').click();
  const form = page.locator('#new-order');
  await form.locator('input[name=sku]').fill(SKU);
  await form.locator('input[name=quantity]').fill(String(order.quantity));
  await form.locator('input[name=unitPrice]').fill(String(order.unitPrice));
  await form.locator('select[name=card]').selectOption(order.card);
  await form.getByRole('button', { name: 'Start saga' }).click();
  await page.waitForURL(/#\/sagas\/[^/?]+$/);
  return decodeURIComponent(new URL(page.url()).hash.slice('#/sagas/'.length));
}

const businessKeyOf = async (sagaId: string) => (await http(app, 'GET', `/sagas/${sagaId}`)).body.businessKey as string;

test("a newcomer's first click: the form's defaults on a SKU with no stock add stock first, and the saga completes", async () => {
  const tab = await newPage();
  try {
    await tab.goto(`${app.url}/console/#/sagas`);
    await tab.locator('details.new-order > summary').click();
    const form = tab.locator('#new-order');
    const sku = await form.locator('input[name=sku]').inputValue();
    expect((await http(app, 'GET', `/aggregates/inventory/${sku}`)).status).toBe(404);
    await expect(form.locator('input[name=topUp]').isChecked()).resolves.toBe(true);
    await form.getByRole('button', { name: 'Start saga' }).click();
    // Adding stock is an operator action: the token is asked for.
    await tab.locator('#token-dialog input[name=token]').fill(ADMIN_TOKEN);
    await tab.locator('#token-dialog').getByRole('button', { name: 'Use token' }).click();
    await tab.waitForURL(/#\/sagas\/[^/?]+$/);
    await tab.locator('#saga-header [data-status=COMPLETED]').waitFor({ timeout: 15_000 });
    const inventory = await http(app, 'GET', `/aggregates/inventory/${sku}`);
    expect(inventory.body.state).toMatchObject({ available: 9 });
  } finally {
    await tab.close();
  }
});

test('starts a saga from the console and watches it complete; aggregates now and as of a step', async () => {
  const sagaId = await startOrder({ quantity: 2, unitPrice: 100, card: 'tok_visa' });
  await header().locator('[data-status=COMPLETED]').waitFor({ timeout: 15_000 });

  const forward = page.locator('#timeline .row.lane-forward[data-type=StepSucceeded]');
  await expect(forward.allTextContents()).resolves.toEqual([
    expect.stringContaining('placeOrder'),
    expect.stringContaining('reserveStock'),
    expect.stringContaining('authorizePayment'),
    expect.stringContaining('bookShipment'),
    expect.stringContaining('capturePayment · pivot'),
    expect.stringContaining('confirmOrder'),
  ]);
  expect(await forward.first().textContent()).toMatch(/1 attempt.*\d+ ms/);
  expect(await page.locator('#timeline .row.lane-compensation[data-type=CompensationSucceeded]').count()).toBe(0);

  const orderId = await businessKeyOf(sagaId);
  const order = (status: string) => page.locator(`[data-aggregate="order-${orderId}"]`, { hasText: `"status": "${status}"` });
  await order('confirmed').waitFor();

  // As of the reservation: stock held, no payment yet.
  await forward.nth(1).click();
  await page.locator('#aggregates.historic').waitFor();
  await page.locator(`[data-aggregate="payment-${orderId}"].missing`).waitFor();
  await page.locator(`[data-aggregate="inventory-${SKU}"]`, { hasText: '"reserved": 2' }).waitFor();
  await order('placed').waitFor();
  await screenshot('completed-as-of-reservation');

  await page.locator('#aggregates').getByRole('button', { name: 'back to now' }).click();
  await order('confirmed').waitFor();
  await page.locator(`[data-aggregate="payment-${orderId}"]`, { hasText: '"status": "captured"' }).waitFor();
});

test("a declined card: the compensation trail in its own lane, in reverse order", async () => {
  await startOrder({ quantity: 1, unitPrice: 100, card: 'tok_declined' });
  await header().locator('[data-status=COMPENSATED]').waitFor({ timeout: 15_000 });

  const failed = page.locator('#timeline .row.lane-forward[data-type=StepFailed]');
  await expect(failed.textContent()).resolves.toMatch(/authorizePayment.*CARD_DECLINED/);
  await expect(page.locator('#timeline .row.lane-compensation[data-type=CompensationSucceeded] .card-title').allTextContents()).resolves.toEqual([
    '↺ voidAuthorization · nothing to undo',
    '↺ releaseStock',
    '↺ rejectOrder',
  ]);
  await expect(page.locator('#timeline .row[data-type=SagaCompensating]').textContent()).resolves.toMatch(/Compensating \(step failed\)/);
  await expect(page.locator('#events tbody tr').count()).resolves.toBeGreaterThan(8);
  await screenshot('compensated');

  // Fork it from reserveStock: a new saga, linked both ways, that meets the same declined card.
  await page.locator('#operator select[name=fromStep]').selectOption('reserveStock');
  await page.locator('#operator button[data-action=fork]').click();
  await page.locator('#token-dialog input[name=token]').fill(ADMIN_TOKEN);
  await page.locator('#token-dialog').getByRole('button', { name: 'Use token' }).click();
  await page.locator('#action-log li.ok[data-action=fork] a').click();
  await page.locator('#timeline .row[data-type=SagaForked]').waitFor();
  await header().locator('[data-status=COMPENSATED]').waitFor({ timeout: 15_000 });
  await screenshot('forked');
});

test('approves a saga waiting for approval with the token kept for this tab', async () => {
  const sagaId = await startOrder({ quantity: 6, unitPrice: 100, card: 'tok_visa' });
  await header().locator('[data-status=AWAITING_APPROVAL]').waitFor({ timeout: 15_000 });
  await screenshot('awaiting-approval');

  await page.locator('#operator input[name=actor]').fill('alice');
  await page.locator('#operator input[name=reason]').fill('known customer');
  await page.locator('#operator button[data-action=approve]').click();

  await page.locator('#action-log li.ok[data-action=approve]').waitFor();
  await header().locator('[data-status=COMPLETED]').waitFor({ timeout: 15_000 });
  // The log says what the server saw when it accepted the approval, then the saga's status after it.
  const logged = page.locator('#action-log li.ok[data-action=approve]');
  await logged.locator('.now[data-status=COMPLETED]').waitFor();
  await expect(logged.textContent()).resolves.toMatch(/approve: accepted while AWAITING APPROVAL; now COMPLETED$/);
  await expect(page.locator('#timeline .row[data-type=SagaApproved]').textContent()).resolves.toContain('Approved by alice');
  expect((await http(app, 'GET', `/sagas/${sagaId}`)).body.operatorActions).toEqual([
    expect.objectContaining({ action: 'approve', actor: 'alice', reason: 'known customer' }),
  ]);

  // Past the pivot a fork may not start before it: the server's refusal is shown.
  await page.locator('#operator select[name=fromStep]').selectOption('placeOrder');
  await page.locator('#operator button[data-action=fork]').click();
  await page.locator('#action-log li.error[data-action=fork]').waitFor();
  await screenshot('approved');
});

test('a saga whose pivot was entered shows it, even when the pivot then failed: no cancel, a retry goes forward', async () => {
  await setSwitch(app.db.pool, 'outage_after_capture', true);
  try {
    await startOrder({ quantity: 1, unitPrice: 100, card: 'tok_visa' });
    await header().locator('[data-status=FAILED]').waitFor({ timeout: 20_000 });
    await expect(header().locator('dl.facts-grid').textContent()).resolves.toMatch(/Past the pivot\s*yes: capturePayment entered/);
    await page.locator('#timeline .row[data-type=PivotEntered]').waitFor();
    await expect(page.locator('#operator button[data-action=cancel]').isDisabled()).resolves.toBe(true);
    await screenshot('failed-past-pivot');
  } finally {
    await setSwitch(app.db.pool, 'outage_after_capture', false);
  }
  await page.locator('#operator button[data-action=retry]').click();
  await header().locator('[data-status=COMPLETED]').waitFor({ timeout: 15_000 });
  await page.locator('#action-log li.ok[data-action=retry] .now[data-status=COMPLETED]').waitFor();
  await expect(page.locator('#action-log li.ok[data-action=retry]').textContent()).resolves.toContain('accepted while FAILED; now COMPLETED');
});

test('the list filters by status and business key, and refreshes by itself', async () => {
  await page.goto(`${app.url}/console/#/sagas?status=COMPENSATED`);
  const rows = page.locator('table.sagas tbody tr[data-saga-id]');
  await rows.first().waitFor();
  expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))))).toEqual(new Set(['COMPENSATED']));

  // Started behind the console's back: the live list picks it up.
  const started = await http(app, 'POST', '/orders', {
    body: {
      customerId: 'cust-live',
      currency: 'EUR',
      items: [{ sku: SKU, quantity: 1, unitPrice: 10 }],
      payment: { token: 'tok_visa' },
      shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    },
  });
  const { sagaId, orderId } = started.body as { sagaId: string; orderId: string };
  await page.locator('form.filters select[name=status]').selectOption('');
  await page.locator('form.filters input[name=businessKey]').fill(orderId);
  await page.locator('form.filters input[name=businessKey]').press('Enter');
  await page.locator(`table.sagas tr[data-saga-id="${sagaId}"][data-status=COMPLETED]`).waitFor({ timeout: 15_000 });
  expect(await rows.count()).toBe(1);
  expect(page.url()).toContain(`businessKey=${orderId}`);
  await screenshot('list');
});

test('a saga id: found with the search box, copied with its button; on a 400 px screen the list scrolls inside its box, not the page', async () => {
  const sagaId = (await http(app, 'GET', '/sagas?limit=1')).body.sagas[0].sagaId as string;
  await page.goto(`${app.url}/console/#/sagas`);
  const row = page.locator(`table.sagas tr[data-saga-id="${sagaId}"]`);
  await row.locator(`button.copy[data-copy="${sagaId}"]`).waitFor();

  await page.locator('#find-saga input[name=sagaId]').fill(` ${sagaId} `);
  await page.locator('#find-saga input[name=sagaId]').press('Enter');
  await page.waitForURL(`**/console/#/sagas/${encodeURIComponent(sagaId)}`);
  await expect(header().locator('h1 .mono').textContent()).resolves.toBe(sagaId);
  const copy = header().locator(`h1 button.copy[data-copy="${sagaId}"]`);
  await copy.click();
  // The copy is asynchronous (Clipboard API): wait for the button to say it is done.
  await header().locator('h1 button.copy', { hasText: /^copied$/ }).waitFor({ timeout: 5_000 });

  await page.setViewportSize({ width: 400, height: 800 });
  try {
    await page.goto(`${app.url}/console/#/sagas`);
    await page.locator('table.sagas tbody tr[data-saga-id]').first().waitFor();
    await page.locator('details.new-order > summary').click();
    // A string: this file is compiled without the DOM library.
    const overflow = await page.evaluate(`({
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      body: document.body.scrollWidth - document.body.clientWidth,
    })`);
    expect(overflow).toEqual({ page: 0, body: 0 });
    await screenshot('list-narrow');
  } finally {
    await page.setViewportSize({ width: 1440, height: 1000 });
  }
});

test('the consumers page shows every consumer (read models and process managers) with its lag and owner', async () => {
  await page.goto(`${app.url}/console/#/consumers`);
  await page.locator('#consumers tr[data-consumer="saga-overview"]').waitFor();
  await expect(page.locator('#consumers tr[data-consumer="order-returns"]').getAttribute('data-kind')).resolves.toBe('process-manager');
  await expect(page.locator('#consumers tr[data-consumer="stock-levels"]').textContent()).resolves.toContain(app.config.executorId);
  await page.locator('#consumers tr[data-consumer="order-returns"]').getByRole('button', { name: 'Parked events' }).click();
  await page.locator('#dead-letters').getByText('every event was handled').waitFor();
  await page.locator('#consumers tr[data-consumer="stock-levels"]').getByRole('button', { name: 'Rebuild' }).click();
  await page.locator('#action-log li.ok', { hasText: 'rebuild stock-levels' }).waitFor();
  await screenshot('consumers');
  // The old address still opens the page.
  await page.goto(`${app.url}/console/#/projections`);
  await page.locator('#consumers tr[data-consumer="order-summary"]').waitFor();
});

test('the fleet page shows this process with a live lease and the sagas it runs', async () => {
  await page.goto(`${app.url}/console/#/fleet`);
  const row = page.locator(`#fleet tr[data-executor="${app.config.executorId}"]`);
  await row.waitFor();
  await expect(row.getAttribute('data-status')).resolves.toBe('live');
  await expect(row.textContent()).resolves.toContain('(this process)');
  await expect(page.locator('#fleet-summary').textContent()).resolves.toMatch(/1 live process;/);
  await screenshot('fleet');
});

test('no page threw an error or broke the content security policy', () => {
  expect(pageErrors).toEqual([]);
});
