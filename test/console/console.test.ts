import path from 'node:path';
import type { Page } from 'playwright-core';
import { setSwitch } from '../../src/providers';
import { http, orderBody, startTestApp, ADMIN_TOKEN, CLIENT_TOKEN, type TestApp } from '../support/app';
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
  // The operator's tab: the first read is refused, the console asks, and keeps the token for the tab.
  await page.goto(`${app.url}/console/#/sagas`);
  await enterToken(page, ADMIN_TOKEN);
}, 10 * 60_000);

/** Answer the console's token dialog; returns what it said when it asked. */
async function enterToken(p: Page, value: string): Promise<string> {
  const dialog = p.locator('#token-dialog');
  await dialog.locator('input[name=token]').waitFor();
  const asked = (await dialog.locator('.token-message').textContent()) ?? '';
  await dialog.locator('input[name=token]').fill(value);
  await dialog.getByRole('button', { name: 'Use token' }).click();
  await dialog.waitFor({ state: 'hidden' });
  return asked;
}

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

/** Open "Start a saga" and pick a type: the form generated from its input schema. */
async function startForm(type: string) {
  await page.goto(`${app.url}/console/#/sagas`);
  await page.locator('details.new-saga > summary').click();
  const form = page.locator('#start-saga');
  await form.locator(`select[name=sagaType] option[value="${type}"]`).waitFor({ state: 'attached' });
  await form.locator('select[name=sagaType]').selectOption(type);
  return form;
}

/** Submit a start form; returns the saga id the console navigated to. */
async function submit(form: ReturnType<Page['locator']>): Promise<string> {
  await form.getByRole('button', { name: 'Start saga' }).click();
  await page.waitForURL(/#\/sagas\/[^/?]+$/);
  return decodeURIComponent(new URL(page.url()).hash.slice('#/sagas/'.length));
}

/** Fill the generated order-fulfillment form and start the saga. */
async function startOrder(order: { quantity: number; unitPrice: number; card: string; customerId?: string }): Promise<string> {
  const form = await startForm('order-fulfillment');
  if (order.customerId) await form.locator('input[name=customerId]').fill(order.customerId);
  await form.locator('input[name="items.0.sku"]').fill(SKU);
  await form.locator('input[name="items.0.quantity"]').fill(String(order.quantity));
  await form.locator('input[name="items.0.unitPrice"]').fill(String(order.unitPrice));
  await form.locator('input[name="payment.token"]').fill(order.card);
  return submit(form);
}

const businessKeyOf = async (sagaId: string) => (await http(app, 'GET', `/sagas/${sagaId}`)).body.businessKey as string;

test("a newcomer's first click: the console asks for a token to read; with a client's, the form's defaults add stock first (asking for the operator's token), and the saga completes", async () => {
  const tab = await newPage();
  try {
    await tab.goto(`${app.url}/console/#/sagas`);
    // Reading sagas needs a credential: the console asks on the first refusal, and the list then loads.
    expect(await enterToken(tab, CLIENT_TOKEN)).toMatch(/CLIENT_TOKEN/);
    await tab.locator('table.sagas tbody tr').first().waitFor();
    await expect(tab.locator('#token-state').textContent()).resolves.toContain('token set');
    await tab.locator('details.new-saga > summary').click();
    const form = tab.locator('#start-saga');
    // The first type is offered first, prefilled with its schema's example; the order id is the server's to generate.
    await expect(form.locator('select[name=sagaType]').inputValue()).resolves.toBe('order-fulfillment');
    const sku = await form.locator('input[name="items.0.sku"]').inputValue();
    expect(await form.locator('input[name=orderId]').count()).toBe(0);
    expect((await http(app, 'GET', `/aggregates/inventory/${sku}`)).status).toBe(404);
    await expect(form.locator('input[name=topUp]').isChecked()).resolves.toBe(true);
    await form.getByRole('button', { name: 'Start saga' }).click();
    // Adding stock is an operator action: a client's token is not enough (403), the operator's is asked for.
    expect(await enterToken(tab, ADMIN_TOKEN)).toMatch(/operator token \(ADMIN_TOKEN\)/);
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

  // Any saga's input and steps, in order.
  await expect(page.locator('#steps [data-step]').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).resolves.toEqual([
    'placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment', 'capturePayment', 'confirmOrder',
  ]);
  await expect(page.locator('#steps details.json-details').textContent()).resolves.toContain(`"sku": "${SKU}"`);

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

test('any registered type starts from its generated form: a return saga started by hand finds no return requested and says so', async () => {
  const { body } = await http(app, 'GET', '/orders?status=confirmed&limit=1');
  const orderId = body.orders[0].orderId as string;
  const form = await startForm('order-return');
  await form.locator('input[name=orderId]').fill(orderId);
  await form.locator('input[name=reason]').fill('does not fit');
  const sagaId = await submit(form);
  // Returns start from a recorded request (POST /orders/:id/return): this order has none, so the first step refuses.
  await header().locator('[data-status=COMPENSATED]').waitFor({ timeout: 15_000 });
  await expect(header().locator('dl.facts-grid').textContent()).resolves.toContain('order-return');
  await expect(page.locator('#steps [data-step=acceptReturn]').textContent()).resolves.toMatch(/✗ acceptReturn.*RETURN_NOT_REQUESTED/);
  await expect(page.locator('#steps details.json-details').textContent()).resolves.toContain('does not fit');
  // Its streams come from its events: it changed nothing, so there are none.
  await page.locator('#aggregates', { hasText: 'No other stream yet.' }).waitFor();
  expect((await http(app, 'GET', `/sagas/${sagaId}`)).body).toMatchObject({ type: 'order-return', input: { orderId, reason: 'does not fit' } });
  await screenshot('return-started-from-form');
});

test('a travel booking from its generated form: the three reservations side by side as one parallel group, booked; a sold-out car releases the flight and the hotel', async () => {
  // The form's example books.
  const booked = await submit(await startForm('travel-booking'));
  await header().locator('[data-status=COMPLETED]').waitFor({ timeout: 20_000 });
  const group = page.locator('#steps [data-group=reserve]');
  await expect(group.locator('[data-step]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-step')))).resolves.toEqual(['flight', 'hotel', 'car']);
  await expect(group.locator('.step-succeeded').count()).resolves.toBe(3);
  await expect(page.locator('#steps [data-step=chargeTraveller]').textContent()).resolves.toMatch(/✓ chargeTraveller · pivot/);
  // The streams it touched, found from its events: the trip and the payment.
  const tripId = await businessKeyOf(booked);
  await page.locator(`#aggregates [data-aggregate="trip-${tripId}"]`).waitFor();
  await screenshot('travel-booked');

  // The car is sold out at XXX: the saga compensates, undoing what the other branches held.
  const form = await startForm('travel-booking');
  await form.locator('input[name="car.pickUp"]').fill('XXX');
  const refused = await submit(form);
  await header().locator('[data-status=COMPENSATED]').waitFor({ timeout: 20_000 });
  await expect(page.locator('#steps [data-group=reserve] [data-step=car]').textContent()).resolves.toMatch(/✗ car/);
  const undone = await page.locator('#timeline .row.lane-compensation[data-type=CompensationSucceeded] .card-title').allTextContents();
  expect(undone).toEqual(expect.arrayContaining([expect.stringMatching(/cancelFlight/), expect.stringMatching(/cancelHotel/)]));
  expect((await http(app, 'GET', `/sagas/${refused}`)).body).toMatchObject({ type: 'travel-booking', status: 'COMPENSATED' });
  await screenshot('travel-compensated');
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
    body: orderBody({ customerId: 'cust-live', items: [{ sku: SKU, quantity: 1, unitPrice: 10 }] }),
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
    await page.locator('details.new-saga > summary').click();
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

test("on a 375 px phone the list and a saga's detail fit the screen: no sideways page scroll, long ids wrap and keep their copy button", async () => {
  // The longest saga id the API accepts, and a compensated saga: the most there is to show.
  const sagaId = `phone-${'x'.repeat(100)}-${Date.now()}`.slice(0, 128);
  const started = await http(app, 'POST', '/orders', {
    headers: { 'idempotency-key': sagaId },
    body: orderBody({ customerId: 'customer-with-a-rather-long-identifier-0123456789', items: [{ sku: SKU, quantity: 1, unitPrice: 10 }], payment: { token: 'tok_declined' } }),
  });
  expect(started.status).toBe(202);
  // A string: this file is compiled without the DOM library.
  // Also names the elements that stick out (outside any box that scrolls), so a failure says where.
  const overflow = () => page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const clipped = (el) => { for (let a = el.parentElement; a; a = a.parentElement) if (/auto|scroll|hidden/.test(getComputedStyle(a).overflowX)) return true; return false; };
    const out = (el) => el.getBoundingClientRect().right > width + 1;
    const wider = [...document.body.querySelectorAll('*')]
      .filter((el) => out(el) && !(el.parentElement && out(el.parentElement)) && !clipped(el))
      .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
    return { page: document.documentElement.scrollWidth - width, body: document.body.scrollWidth - document.body.clientWidth, wider };
  })()`);
  await page.setViewportSize({ width: 375, height: 812 });
  try {
    await page.goto(`${app.url}/console/#/sagas`);
    await page.locator(`table.sagas tr[data-saga-id="${sagaId}"]`).waitFor();
    expect(await overflow()).toEqual({ page: 0, body: 0, wider: [] });

    await page.goto(`${app.url}/console/#/sagas/${encodeURIComponent(sagaId)}`);
    await header().locator('[data-status=COMPENSATED]').waitFor({ timeout: 15_000 });
    await page.locator('#events tbody tr').first().waitFor();
    await page.locator('#aggregates .aggregate-card').first().waitFor();
    // Open an event's data and metadata too: long JSON lines must wrap or scroll in their box.
    await page.locator('#events details').first().click();
    await screenshot('detail-narrow');
    expect(await overflow()).toEqual({ page: 0, body: 0, wider: [] });
    // The whole id is there (wrapped, not cut) and its copy button is on the screen.
    await expect(header().locator('h1 .mono').textContent()).resolves.toBe(sagaId);
    const copy = await header().locator(`h1 button.copy[data-copy="${sagaId}"]`).boundingBox();
    expect(copy && copy.x >= 0 && copy.x + copy.width <= 375).toBe(true);
    // The operator's buttons are reachable without scrolling sideways.
    for (const action of ['approve', 'cancel', 'retry', 'fork']) {
      const box = await page.locator(`#operator button[data-action=${action}]`).boundingBox();
      expect({ action, inside: !!box && box.x >= 0 && box.x + box.width <= 375 }).toEqual({ action, inside: true });
    }
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

// Last of the tests that start orders: the customer it forgets can place none after.
test("forgets a saga's customer: the page then shows none of their personal data, and the saga still reads", async () => {
  const customerId = `console-forget-${Date.now()}`;
  const sagaId = await startOrder({ quantity: 1, unitPrice: 100, card: 'tok_visa', customerId });
  await header().locator('[data-status=COMPLETED]').waitFor({ timeout: 15_000 });
  const personal = ['Console Customer', '1 Main St'];
  const pageText = () => page.locator('body').textContent();
  for (const text of personal) await expect(pageText()).resolves.toContain(text);

  await page.locator('#operator input[name=reason]').fill('customer asked to be forgotten');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.locator('#operator button[data-action=forget]').click();
  await page.locator('#action-log li.ok[data-action=forget]').waitFor();
  // The page re-reads the saga after the action: wait for that, then nothing of theirs is left.
  await page.locator('#events', { hasText: '[forgotten]' }).waitFor();
  for (const text of personal) await expect(pageText()).resolves.not.toContain(text);
  await screenshot('forgotten');

  // A fresh load reads the same: nothing of theirs, the saga and its aggregates as they were.
  await page.reload();
  await header().locator('[data-status=COMPLETED]').waitFor();
  await page.locator(`#aggregates [data-aggregate="order-${await businessKeyOf(sagaId)}"]`, { hasText: 'confirmed' }).waitFor();
  for (const text of personal) await expect(pageText()).resolves.not.toContain(text);
  const events = await http(app, 'GET', `/streams/customer-${customerId}`);
  expect(events.body.events).toEqual([expect.objectContaining({ type: 'CustomerForgotten', data: expect.objectContaining({ reason: 'customer asked to be forgotten' }) })]);
});

test('no page threw an error or broke the content security policy', () => {
  expect(pageErrors).toEqual([]);
});
