// Unit tests of chat-client.js against a scripted fake gateway and history API (node --test).
// The browser scenarios (scenarios.mjs) run it against the real services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const { ChatClient, directRoom, otherParticipant } = await import(
  path.join(here, '../../gateway-service/src/main/resources/META-INF/resources/chat-client.js'));

/** A fake gateway: each socket the client opens; the test plays the server's frames. */
class FakeSockets {
  constructor() {
    this.all = [];
    const sockets = this;
    this.WebSocket = class {
      constructor(url) {
        this.url = url;
        this.readyState = 1;
        this.sent = [];
        sockets.all.push(this);
      }
      send(text) { this.sent.push(JSON.parse(text)); }
      close(code = 1000) { this.drop(code); }
      drop(code = 1006) {
        if (this.readyState === 3) return;
        this.readyState = 3;
        this.onclose?.({ code, reason: '' });
      }
      frame(f) { this.onmessage?.({ data: JSON.stringify(f) }); }
      frames(type) { return this.sent.filter((f) => f.type === type); }
    };
  }
  get last() { return this.all[this.all.length - 1]; }
  async next(count) {
    await until(() => this.all.length >= count);
    return this.all[count - 1];
  }
}

/** A fake history API holding messages per room; `stored` limits what it has ingested so far. */
function fakeHistory(rooms) {
  const calls = [];
  const fetch = async (url) => {
    const u = new URL(url);
    calls.push(u.pathname + u.search);
    const room = decodeURIComponent(u.pathname.split('/')[2]);
    const all = (rooms[room] ?? []).filter((m) => m.seq <= (fetch.stored ?? Infinity));
    const limit = Number(u.searchParams.get('limit') ?? 50);
    let list;
    if (u.searchParams.has('after')) list = all.filter((m) => m.seq > Number(u.searchParams.get('after'))).slice(0, limit);
    else if (u.searchParams.has('before')) list = all.filter((m) => m.seq < Number(u.searchParams.get('before'))).slice(-limit);
    else list = all.slice(-limit);
    return { ok: true, status: 200, json: async () => ({ room, messages: list, hasMore: false }) };
  };
  fetch.calls = calls;
  return fetch;
}

const msg = (room, seq, from = 'bob', extra = {}) => ({ type: 'message', room, seq, from, text: `m${seq}`, ts: 1000 + seq, ...extra });

async function until(check, ms = 3000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function client(sockets, fetch, extra = {}) {
  const c = new ChatClient({ token: 't0k', baseUrl: 'http://chat.test', WebSocket: sockets.WebSocket, fetch,
    minBackoff: 10, maxBackoff: 40, ...extra });
  const seen = [];
  const states = [];
  c.on('message', (m) => seen.push(`${m.room}#${m.seq}`));
  c.on('state', (s) => states.push(s.state));
  return { c, seen, states };
}

test('direct-message room names and the other participant', () => {
  assert.equal(directRoom('bob', 'alice'), 'dm:alice:bob');
  assert.equal(directRoom('alice', 'bob'), 'dm:alice:bob');
  assert.equal(otherParticipant('dm:alice:bob', 'alice'), 'bob');
  assert.equal(otherParticipant('general', 'alice'), null);
});

test('delivers in seq order, drops duplicates, fetches a hole from history', async () => {
  const sockets = new FakeSockets();
  const history = fakeHistory({ general: [msg('general', 8)] });
  const { c, seen } = client(sockets, history);
  c.connect();
  const ws = await sockets.next(1);
  assert.match(ws.url, /^ws:\/\/chat\.test\/chat\?access_token=t0k$/);
  ws.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  const joined = c.join('general');
  assert.deepEqual(ws.frames('join').map((f) => [f.room, f.since]), [['general', undefined]]);
  ws.frame({ type: 'joined', room: 'general', seq: 5, epoch: 'e1', cid: ws.frames('join')[0].cid });
  assert.equal((await joined).seq, 5);
  for (const seq of [6, 7, 7, 5, 9]) ws.frame(msg('general', seq));
  await until(() => seen.length === 4);
  assert.deepEqual(seen, ['general#6', 'general#7', 'general#8', 'general#9']);
  assert.deepEqual(history.calls, ['/rooms/general/messages?after=7&limit=500']);
  c.close();
});

test('a busy history service (503) is asked for smaller pages until one fits, and the hole is filled', async () => {
  const sockets = new FakeSockets();
  const served = fakeHistory({ general: [msg('general', 8)] });
  // Busy: pages of more than 125 messages are refused, as history refuses a page whose largest answer no longer fits.
  const history = async (url) => (Number(new URL(url).searchParams.get('limit')) > 125
    ? { ok: false, status: 503, statusText: 'Service Unavailable', json: async () => ({ code: 'unavailable', message: 'busy' }) }
    : served(url));
  history.calls = served.calls;
  const { c, seen } = client(sockets, history);
  c.connect();
  const ws = await sockets.next(1);
  ws.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  const joined = c.join('general');
  ws.frame({ type: 'joined', room: 'general', seq: 7, epoch: 'e1', cid: ws.frames('join')[0].cid });
  await joined;
  ws.frame(msg('general', 9));
  await until(() => seen.length === 2, 5000);
  assert.deepEqual(seen, ['general#8', 'general#9']);
  assert.deepEqual(served.calls, ['/rooms/general/messages?after=7&limit=125']);
  c.close();
});

test('after a drop: backs off, re-joins with since and epoch, resends unacked sends with the same cid, fills a recovered:false gap before live messages', async () => {
  const sockets = new FakeSockets();
  const history = fakeHistory({ general: [3, 4, 5, 6, 7].map((s) => msg('general', s)) });
  history.stored = 4; // the history service is behind at first
  const { c, seen, states } = client(sockets, history);
  c.connect();
  const ws1 = await sockets.next(1);
  ws1.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  c.join('general');
  ws1.frame({ type: 'joined', room: 'general', seq: 1, epoch: 'e1' });
  ws1.frame(msg('general', 2));
  const acked = c.send('general', 'hello');
  const sent = ws1.frames('send')[0];
  ws1.drop(1006);
  assert.equal(states.at(-1), 'reconnecting');

  const ws2 = await sockets.next(2);
  ws2.frame({ type: 'welcome', user: 'alice', node: 'gw-2' });
  const rejoin = ws2.frames('join')[0];
  assert.deepEqual([rejoin.room, rejoin.since, rejoin.epoch], ['general', 2, 'e1']);
  assert.equal(ws2.frames('send').length, 0, 'a room send waits for the room to be joined');
  ws2.frame({ type: 'joined', room: 'general', seq: 7, epoch: 'e1', recovered: false, cid: rejoin.cid });
  assert.deepEqual(ws2.frames('send'), [sent], 'the same frame, same cid');
  ws2.frame(msg('general', 8)); // live, held back until the gap is filled
  await until(() => seen.length === 3);
  assert.deepEqual(seen, ['general#2', 'general#3', 'general#4']);
  assert.notEqual(states.at(-1), 'recovered');
  history.stored = 7;
  await until(() => seen.length === 7);
  assert.deepEqual(seen.slice(3), ['general#5', 'general#6', 'general#7', 'general#8']);
  await until(() => states.at(-1) === 'recovered');
  assert.deepEqual(states, ['connecting', 'connected', 'reconnecting', 'connected', 'recovered']);

  ws2.frame({ type: 'ack', cid: sent.cid, room: 'general', seq: 8, ts: 1 });
  assert.equal((await acked).seq, 8);
  c.close();
});

test('a reconnect frame: reconnects within the drain jitter (not the backoff) when the gateway closes, and replays in-band', async () => {
  const sockets = new FakeSockets();
  const { c, seen, states } = client(sockets, fakeHistory({}), { minBackoff: 5000, maxBackoff: 5000, drainJitter: 50 });
  c.connect();
  const ws1 = await sockets.next(1);
  ws1.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  c.join('general');
  ws1.frame({ type: 'joined', room: 'general', seq: 10, epoch: 'e1' });
  ws1.frame({ type: 'reconnect', reason: 'shutdown' });
  ws1.drop(1012);
  const ws2 = await sockets.next(2); // well before the 5 s backoff
  ws2.frame({ type: 'welcome', user: 'alice', node: 'gw-2' });
  const rejoin = ws2.frames('join')[0];
  assert.equal(rejoin.since, 10);
  ws2.frame({ type: 'joined', room: 'general', seq: 12, epoch: 'e1', recovered: true, cid: rejoin.cid });
  assert.notEqual(states.at(-1), 'recovered');
  ws2.frame(msg('general', 11));
  ws2.frame(msg('general', 12));
  assert.deepEqual(seen, ['general#11', 'general#12']);
  assert.equal(states.at(-1), 'recovered');
  c.close();
});

test('the drain jitter is seconds by default: clients of a draining gateway reconnect spread over 0-5 s', async () => {
  const delays = [];
  for (const random of [0.1, 0.5, 0.9]) {
    const sockets = new FakeSockets();
    const c = new ChatClient({ token: 't0k', baseUrl: 'http://chat.test', WebSocket: sockets.WebSocket, fetch: fakeHistory({}) });
    c.on('state', (s) => s.state === 'reconnecting' && delays.push(s.delay));
    const realRandom = Math.random;
    Math.random = () => random;
    try {
      c.connect();
      const ws = await sockets.next(1);
      ws.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
      ws.frame({ type: 'reconnect', reason: 'shutdown' });
      ws.drop(1012);
    } finally {
      Math.random = realRandom;
      c.close();
    }
  }
  assert.deepEqual(delays, [500, 2500, 4500]);
});

test('direct messages: tracked without a join, joined with since after a reconnect; sendDirect is resent', async () => {
  const sockets = new FakeSockets();
  const { c, seen } = client(sockets, fakeHistory({}));
  c.connect();
  const ws1 = await sockets.next(1);
  ws1.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  ws1.frame(msg('dm:alice:bob', 4));
  const pending = c.sendDirect('bob', 'are you there?');
  const sent = ws1.frames('send')[0];
  assert.equal(sent.to, 'bob');
  ws1.drop();
  const ws2 = await sockets.next(2);
  ws2.frame({ type: 'welcome', user: 'alice', node: 'gw-2' });
  assert.deepEqual(ws2.frames('send'), [sent]);
  const rejoin = ws2.frames('join')[0];
  assert.deepEqual([rejoin.room, rejoin.since], ['dm:alice:bob', 4]);
  ws2.frame({ type: 'ack', cid: sent.cid, room: 'dm:alice:bob', seq: 5, ts: 1 });
  await pending;
  assert.deepEqual(seen, ['dm:alice:bob#4']);
  c.close();
});

test('sends go one at a time in order; a rate-limited one is held back, then resent with its cid', async () => {
  const sockets = new FakeSockets();
  const { c } = client(sockets, fakeHistory({}));
  c.connect();
  const ws = await sockets.next(1);
  ws.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  c.join('general');
  ws.frame({ type: 'joined', room: 'general', seq: 0, epoch: 'e1' });
  const first = c.send('general', 'one');
  const second = c.sendDirect('bob', 'two');
  assert.deepEqual(ws.frames('send').map((f) => f.text), ['one'], 'the second waits for the first ack');
  ws.frame({ type: 'error', code: 'rate_limited', message: 'slow down', cid: first.cid });
  assert.equal(ws.frames('send').length, 1, 'held back');
  await until(() => ws.frames('send').length === 2);
  assert.deepEqual(ws.frames('send').map((f) => f.cid), [first.cid, first.cid]);
  ws.frame({ type: 'ack', cid: first.cid, room: 'general', seq: 1, ts: 1 });
  assert.deepEqual(ws.frames('send').map((f) => f.text), ['one', 'one', 'two']);
  ws.frame({ type: 'ack', cid: second.cid, room: 'dm:alice:bob', seq: 1, ts: 2 });
  assert.deepEqual([(await first).seq, (await second).room], [1, 'dm:alice:bob']);
  c.close();
});

test('presence is kept current; typing and errors are passed on; refused sends reject', async () => {
  const sockets = new FakeSockets();
  const { c } = client(sockets, fakeHistory({}));
  const presence = [];
  const typing = [];
  c.on('presence', (p) => presence.push(p.users.join(',')));
  c.on('typing', (t) => typing.push(t.user));
  c.connect();
  const ws = await sockets.next(1);
  ws.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  c.join('general');
  ws.frame({ type: 'joined', room: 'general', seq: 0, epoch: 'e1' });
  const query = ws.frames('presence')[0];
  ws.frame({ type: 'presence', room: 'general', users: ['alice', 'bob'], cid: query.cid });
  ws.frame({ type: 'presence.join', room: 'general', user: 'carol' });
  ws.frame({ type: 'presence.leave', room: 'general', user: 'bob' });
  ws.frame({ type: 'typing', room: 'general', user: 'carol' });
  assert.deepEqual(presence, ['alice,bob', 'alice,bob,carol', 'alice,carol']);
  assert.deepEqual(c.members('general'), ['alice', 'carol']);
  assert.deepEqual(typing, ['carol']);
  c.typing('general');
  c.typing('general');
  assert.equal(ws.frames('typing').length, 1, 'typing is throttled');
  const refused = c.send('general', 'x'.repeat(10));
  ws.frame({ type: 'error', code: 'too_large', message: 'too long', cid: ws.frames('send')[0].cid });
  await assert.rejects(refused, { code: 'too_large' });
  await assert.rejects(c.send('elsewhere', 'hi'), { code: 'not_joined' });
  c.close();
});

test('an epoch change with recovered:false resets the room; backlog waits for history to catch up', async () => {
  const sockets = new FakeSockets();
  const history = fakeHistory({ general: [1, 2, 3, 4, 5, 6].map((s) => msg('general', s)) });
  history.stored = 3;
  const { c } = client(sockets, history);
  const resets = [];
  c.on('reset', (r) => resets.push(r.seq));
  c.connect();
  const ws1 = await sockets.next(1);
  ws1.frame({ type: 'welcome', user: 'alice', node: 'gw-1' });
  c.join('general');
  ws1.frame({ type: 'joined', room: 'general', seq: 5, epoch: 'e1' });
  const backlog = c.backlog('general', 3);
  setTimeout(() => { history.stored = 6; }, 100);
  assert.deepEqual((await backlog).map((m) => m.seq), [3, 4, 5]);
  ws1.frame({ type: 'joined', room: 'general', seq: 6, epoch: 'e2', recovered: false });
  assert.deepEqual(resets, [6]);
  assert.equal(c.lastSeq('general'), 6);
  c.close();
});
