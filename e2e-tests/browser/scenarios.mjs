// The chat page in Debian's Chromium, driven by playwright-core, against the services behind nginx
// at CHAT_URL. Started by BrowserIT (./mvnw verify), which also kills a gateway when this script
// prints "@@ KILL <node>" and answers "KILLED <node>" on standard input.
//
//   (a) two users on different gateways chat in a room and by direct message: messages, presence, typing
//   (b) the gateway of one of them is killed: the page reconnects to the other one and shows every
//       message sent meanwhile exactly once, in order
//   (c) a user who was away sees unread badges, catches up, and scrolls back through history
//   (d) without development login (simulated: /dev/login answers 404) the page says so and takes a pasted token
//
// Screenshots: $SCREENSHOTS/*.png. Exit status 0 when every scenario passed.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const BASE = process.env.CHAT_URL ?? 'http://127.0.0.1:8000';
const SHOTS = process.env.SCREENSHOTS ?? path.resolve('../target/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 15_000;
mkdirSync(SHOTS, { recursive: true });
for (const old of readdirSync(SHOTS)) if (old.startsWith('failed-')) rmSync(path.join(SHOTS, old));

// --- Talking to BrowserIT --------------------------------------------------------------------------

const stdin = readline.createInterface({ input: process.stdin });
const answers = [];
const waiting = [];
stdin.on('line', (line) => (waiting.length ? waiting.shift()(line) : answers.push(line)));
const answer = () => (answers.length ? Promise.resolve(answers.shift()) : new Promise((resolve) => waiting.push(resolve)));

async function killGateway(node) {
  console.log(`@@ KILL ${node}`);
  const reply = await answer();
  assert.equal(reply, `KILLED ${node}`);
}

// --- Page helpers ----------------------------------------------------------------------------------

const pageErrors = [];
const pages = {}; // label -> latest page, for screenshots on failure

async function openPage(context, label) {
  const page = await context.newPage();
  pages[label] = page;
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !/WebSocket|Failed to load resource/.test(m.text())
    && pageErrors.push(`${label} console: ${m.text()}`));
  return page;
}

async function signIn(page, user) {
  await page.goto(`${BASE}/`);
  await page.fill('#login-user', user);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#chat:not([hidden])');
  return connectedNode(page);
}

async function connectedNode(page) {
  await page.waitForSelector('#conn[data-state="connected"], #conn[data-state="recovered"]');
  return page.getAttribute('#conn', 'data-node');
}

async function joinRoom(page, room) {
  if (await page.isVisible('#back')) await page.click('#back');
  await page.fill('#join-room', room);
  await page.press('#join-room', 'Enter');
  await page.waitForSelector(`#room-title:text-is("# ${room}")`);
}

async function openRoom(page, room) {
  if (await page.isVisible('#back')) await page.click('#back');
  await page.click(`li[data-room="${room}"] button`);
}

async function startDirect(page, user) {
  if (await page.isVisible('#back')) await page.click('#back');
  await page.fill('#dm-user', user);
  await page.press('#dm-user', 'Enter');
  await page.waitForSelector(`#room-title:text-is("@ ${user}")`);
}

async function send(page, text) {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

/** The open room's messages as shown: [{seq, from, text}]. */
function shown(page) {
  return page.$$eval('#message-list li.message[data-seq]', (items) => items.map((li) => ({
    seq: Number(li.dataset.seq), from: li.querySelector('.from').textContent, text: li.querySelector('.text').textContent,
  })));
}

/** Waits until the open room shows `count` messages; asserts they are seq-contiguous, each once. */
async function expectContiguous(page, count, first = 1) {
  await page.waitForFunction((n) => document.querySelectorAll('#message-list li.message[data-seq]').length >= n, count);
  const messages = await shown(page);
  assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: count }, (_, i) => first + i),
    'every message once, in seq order, no gap');
  assert.equal(await page.locator('#message-list li.message.pending').count(), 0, 'nothing left unsent');
  return messages;
}

async function waitForText(page, text) {
  await page.waitForSelector(`#message-list li.message[data-seq] .text:text-is("${text}")`);
}

async function badge(page, room) {
  const b = page.locator(`li[data-room="${room}"] .badge`);
  return (await b.count()) ? b.textContent() : '0';
}

async function waitForBadge(page, room, expected) {
  await page.waitForFunction(([r, n]) => {
    const b = document.querySelector(`li[data-room="${r}"] .badge`);
    return (b ? b.textContent : '0') === n;
  }, [room, expected]);
}

/** Polls the history service's GET /users/me/rooms until `check(rooms by name)` holds. */
async function roomsEventually(token, check, what) {
  const deadline = Date.now() + WAIT;
  let last;
  while (Date.now() < deadline) {
    const response = await fetch(`${BASE}/users/me/rooms`, { headers: { Authorization: `Bearer ${token}` } });
    last = response.ok ? await response.json() : { status: response.status };
    const byName = Object.fromEntries((last.rooms ?? []).map((r) => [r.room, r]));
    if (check(byName)) return byName;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`history service never showed ${what}: ${JSON.stringify(last)}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Signs `page` in again until it is on a different gateway than `other`. */
async function onAnotherGateway(page, user, other) {
  let node = await connectedNode(page);
  for (let i = 0; node === other && i < 8; i++) {
    // nginx balances round robin: an extra request moves the next connection to the other gateway.
    await page.request.get(`${BASE}/app.css`);
    await page.reload();
    node = await connectedNode(page);
  }
  assert.notEqual(node, other, `${user} could not be placed on another gateway than ${other}`);
  return node;
}

// --- Scenarios ---------------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  // A fresh temporary --user-data-dir per launch is Playwright's own doing.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const desktop = { viewport: { width: 1200, height: 760 } };
const phone = { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const alice = await openPage(await browser.newContext(desktop), 'alice');
const bob = await openPage(await browser.newContext(phone), 'bob');
let aliceNode;
let bobNode;

const results = [];
async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    assert.deepEqual(pageErrors, [], 'no script errors in the pages');
    results.push(true);
    console.log(`ok - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push(false);
    console.log(`not ok - ${name}\n${e.stack}`);
    for (const [label, page] of Object.entries(pages)) {
      if (page.isClosed()) continue;
      const rooms = await page.evaluate(async () => {
        const token = sessionStorage.getItem('chat.token');
        const response = await fetch('/users/me/rooms', { headers: { Authorization: `Bearer ${token}` } });
        return `${response.status} ${await response.text()}`;
      }).catch((err) => err.message);
      console.log(`${label}: GET /users/me/rooms: ${rooms}`);
      await page.screenshot({ path: path.join(SHOTS, `failed-${name.slice(1, 2)}-${label}.png`) }).catch(() => {});
    }
  }
}

await scenario('(a) two users on different gateways: room and direct messages, presence, typing', async () => {
  aliceNode = await signIn(alice, 'alice');
  await signIn(bob, 'bob');
  bobNode = await onAnotherGateway(bob, 'bob', aliceNode);
  console.log(`alice is on ${aliceNode}, bob on ${bobNode}`);
  assert.match(await alice.textContent('#conn-text'), new RegExp(`Connected to ${aliceNode}`));

  await joinRoom(alice, 'general');
  await joinRoom(bob, 'general');
  await alice.waitForSelector('#online[data-users="alice,bob"]');
  await bob.waitForSelector('#online[data-users="alice,bob"]');

  await alice.type('#message-input', 'Hi Bob!', { delay: 20 });
  await bob.waitForSelector('#typing:text-is("alice is typing…")');
  await alice.press('#message-input', 'Enter');
  await waitForText(bob, 'Hi Bob!');
  await bob.waitForSelector('#typing:text-is("")');

  await bob.type('#message-input', 'Hello Alice, greetings from the other gateway', { delay: 10 });
  await alice.waitForSelector('#typing:text-is("bob is typing…")');
  await shot(alice, 'a-alice-sees-bob-typing');
  await bob.press('#message-input', 'Enter');
  await waitForText(alice, 'Hello Alice, greetings from the other gateway');
  await send(alice, 'Shall we talk in private?');
  await waitForText(bob, 'Shall we talk in private?');
  const aliceView = await expectContiguous(alice, 3);
  assert.deepEqual(await expectContiguous(bob, 3), aliceView, 'both see the same room');
  assert.deepEqual(aliceView.map((m) => m.from), ['alice', 'bob', 'alice']);
  await shot(alice, 'a-alice-room');
  await shot(bob, 'a-bob-phone-room');

  // A direct message: bob is in #general; the conversation appears in his list with a badge.
  await startDirect(alice, 'bob');
  await send(alice, 'This one is just for you');
  await waitForText(alice, 'This one is just for you');
  await bob.click('#back');
  await waitForBadge(bob, 'dm:alice:bob', '1');
  await shot(bob, 'a-bob-phone-list-with-dm');
  await openRoom(bob, 'dm:alice:bob');
  await waitForText(bob, 'This one is just for you');
  await waitForBadge(bob, 'dm:alice:bob', '0');
  await alice.waitForSelector('#online:text-is("bob is here")');
  await bob.type('#message-input', 'Got it', { delay: 20 });
  await alice.waitForSelector('#typing:text-is("bob is typing…")');
  await bob.press('#message-input', 'Enter');
  await waitForText(alice, 'Got it');
  assert.deepEqual((await expectContiguous(alice, 2)).map((m) => m.text), ['This one is just for you', 'Got it']);
  await shot(alice, 'a-alice-direct-message');
  await shot(bob, 'a-bob-phone-direct-message');
});

await scenario('(b) a gateway is killed: the page reconnects elsewhere, nothing lost, nothing twice', async () => {
  await openRoom(alice, 'general');
  await openRoom(bob, 'general');
  await expectContiguous(alice, 3);
  // Record every connection state the page goes through.
  await alice.evaluate(() => {
    window.connStates = [];
    new MutationObserver(() => {
      const conn = document.getElementById('conn');
      window.connStates.push(`${conn.dataset.state}@${conn.dataset.node}`);
    }).observe(document.getElementById('conn'), { attributes: true, attributeFilter: ['data-state'] });
  });

  const reconnecting = alice.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 10_000 })
    .then(() => shot(alice, 'b-alice-reconnecting'), () => {});
  await killGateway(aliceNode);
  const during = ['one', 'two', 'three', 'four', 'five'].map((n) => `Sent while alice reconnects: ${n}`);
  await Promise.all([
    (async () => { for (const text of during) await send(bob, text); })(),
    send(alice, 'Alice wrote this during the outage'),
    reconnecting,
  ]);

  await alice.waitForSelector('#conn[data-state="recovered"]');
  const node = await alice.getAttribute('#conn', 'data-node');
  assert.equal(node, bobNode, 'alice lands on the gateway that is left');
  const states = await alice.evaluate(() => window.connStates);
  assert.ok(states.some((s) => s.startsWith('reconnecting')), `the page showed it was reconnecting: ${states}`);
  assert.match(await alice.textContent('#conn-text'), new RegExp(`Recovered on ${bobNode}`));

  await waitForText(alice, during[4]);
  await waitForText(alice, 'Alice wrote this during the outage');
  const seen = await expectContiguous(alice, 9);
  const texts = seen.map((m) => m.text);
  assert.equal(new Set(texts).size, 9, 'no message twice');
  assert.deepEqual(texts.filter((t) => during.includes(t)), during, 'bob\'s messages in the order he sent them');
  await waitForText(bob, 'Alice wrote this during the outage');
  assert.deepEqual(await expectContiguous(bob, 9), seen, 'bob sees the same room');
  await alice.waitForTimeout(1000); // anything late (a duplicate, a resend) would show up now
  assert.deepEqual(await shown(alice), seen);
  await shot(alice, 'b-alice-recovered');
});

await scenario('(c) a user who was away: unread badges, catching up, scrollback from history', async () => {
  const carolContext = await browser.newContext(desktop);
  let carol = await openPage(carolContext, 'carol');
  const older = Array.from({ length: 70 }, (_, i) => `Older news ${i + 1}`);
  await joinRoom(bob, 'random');
  for (const text of older) await send(bob, text);
  await waitForText(bob, older[69]);

  await signIn(carol, 'carol');
  await joinRoom(carol, 'random');
  await waitForText(carol, older[69]);
  await joinRoom(carol, 'general');
  await waitForText(carol, 'Alice wrote this during the outage');
  const carolToken = await carol.evaluate(() => sessionStorage.getItem('chat.token'));
  await roomsEventually(carolToken, (r) => r.random?.readSeq === 70 && r.general?.readSeq === 9, 'what carol read');
  await carol.close(); // carol goes away

  const fresh = ['Back to work', 'Lunch at noon?', 'Deploy is green', 'See you tomorrow'];
  for (const text of fresh) await send(bob, text);
  await openRoom(bob, 'general');
  await send(bob, 'Carol, are you around?');
  await send(bob, 'Ping');
  await startDirect(bob, 'carol');
  await send(bob, 'Welcome back, Carol');
  await waitForText(bob, 'Welcome back, Carol');
  await roomsEventually(carolToken, (r) => r.random?.lastSeq === 74 && r.general?.lastSeq === 11
    && r['dm:bob:carol']?.lastSeq === 1, 'the messages sent while carol was away');

  carol = await openPage(carolContext, 'carol');
  await signIn(carol, 'carol');
  await waitForBadge(carol, 'random', '4');
  await waitForBadge(carol, 'general', '2');
  await waitForBadge(carol, 'dm:bob:carol', '1');
  await shot(carol, 'c-carol-unread-badges');

  await openRoom(carol, 'random');
  await waitForText(carol, fresh[3]);
  await carol.waitForSelector('#message-list .divider.new');
  const firstNew = await carol.$eval('#message-list .divider.new + li.message', (li) => Number(li.dataset.seq));
  assert.equal(firstNew, 71, 'the "New messages" line is above the first unread message');
  await waitForBadge(carol, 'random', '0');
  await shot(carol, 'c-carol-caught-up');

  // Scrollback: older messages come from the history API as she scrolls up.
  for (let i = 0; i < 5 && !(await carol.isVisible('#beginning')); i++) {
    await carol.$eval('#messages', (box) => { box.scrollTop = 0; });
    await carol.waitForTimeout(300);
  }
  await carol.waitForSelector('#beginning:text-is("This is the beginning of #random.")');
  const all = await expectContiguous(carol, 74);
  assert.deepEqual(all.map((m) => m.text), [...older, ...fresh]);
  await carol.$eval('#messages', (box) => { box.scrollTop = 0; });
  await shot(carol, 'c-carol-scrollback');

  await openRoom(carol, 'dm:bob:carol');
  await waitForText(carol, 'Welcome back, Carol');
  await openRoom(carol, 'general');
  await waitForText(carol, 'Ping');
  await waitForBadge(carol, 'general', '0');
  await roomsEventually(carolToken, (r) => Object.values(r).every((room) => room.unread === 0), 'everything read');
  await carol.reload(); // what she read stays read
  await carol.waitForSelector('li[data-room="dm:bob:carol"]');
  for (const room of ['random', 'general', 'dm:bob:carol']) assert.equal(await badge(carol, room), '0', `${room} stays read`);
  await carolContext.close();
});

await scenario('(d) development login disabled: a clear message, and a pasted token works', async () => {
  const context = await browser.newContext(phone);
  const dave = await openPage(context, 'dave');
  await dave.route('**/dev/login', (route) => route.fulfill({ status: 404, contentType: 'application/json',
    body: JSON.stringify({ code: 'not_found', message: 'development login is disabled' }) }));
  await dave.goto(`${BASE}/`);
  await dave.fill('#login-user', 'dave');
  await dave.click('#login-form button[type=submit]');
  await dave.waitForSelector('#signin-error:has-text("disabled on this server")');
  assert.equal(await dave.getAttribute('#token-details', 'open'), '');
  await shot(dave, 'd-dave-phone-dev-login-disabled');
  await dave.fill('#token-input', 'not a token');
  await dave.click('#token-form button[type=submit]');
  await dave.waitForSelector('#signin-error:has-text("not an access token")');

  const minted = await fetch(`${BASE}/dev/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'dave' }) }).then((r) => r.json());
  await dave.fill('#token-input', minted.token);
  await dave.click('#token-form button[type=submit]');
  await dave.waitForSelector('#chat:not([hidden])');
  await connectedNode(dave);
  assert.equal(await dave.textContent('#me'), 'dave');
  await context.close();
});

await browser.close();
const passed = results.filter(Boolean).length;
console.log(`browser: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
