// The chat page: sign in, rooms with unread badges, direct messages, presence, typing, scrollback.
// All protocol work is chat-client.js's; this file keeps the page's model and draws it.
import { ChatClient, NAME, directRoom, otherParticipant } from './chat-client.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'chat.token';
const PAGE = 50;
const TYPING_SHOWN_MS = 3500;

/**
 * @typedef {object} Room
 * @property {string} name
 * @property {string|null} peer the other user of a direct-message room
 * @property {number} unread
 * @property {number|null} serverLastSeq the room's last seq when /users/me/rooms was read (its unread count covers up to there)
 * @property {number|null} readSeq
 * @property {object[]} messages sorted by seq
 * @property {Map<string, object>} pending own messages not yet in `messages`, by cid
 */

const app = {
  /** @type {ChatClient|null} */ client: null,
  user: null,
  /** @type {Map<string, Room>} */ rooms: new Map(),
  current: null,
  typing: new Map(), // room -> Map(user -> hide timer)
};

// --- Sign in -------------------------------------------------------------------------------------

function showSignin(message) {
  $('chat').hidden = true;
  $('signin').hidden = false;
  setError('signin-error', message);
  $('login-user').focus();
}

function setError(id, message) {
  $(id).textContent = message || '';
  $(id).hidden = !message;
}

/** The `sub` of a JWT, or null if it is not one. */
function tokenSubject(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')));
    return typeof claims.sub === 'string' && NAME.test(claims.sub) ? claims.sub : null;
  } catch {
    return null;
  }
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const user = $('login-user').value.trim();
  if (!NAME.test(user)) {
    setError('signin-error', 'A user name is 1 to 64 letters, digits, dots, dashes or underscores.');
    return;
  }
  setError('signin-error', '');
  let response;
  try {
    response = await fetch('/dev/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user }),
    });
  } catch {
    setError('signin-error', 'The server cannot be reached. Check your connection and try again.');
    return;
  }
  if (response.status === 404) {
    setError('signin-error', 'Sign-in by user name is disabled on this server (it is for development only). '
      + 'Paste an access token from your identity provider below.');
    $('token-details').open = true;
    $('token-input').focus();
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.token) {
    setError('signin-error', body.message || `Sign-in failed (HTTP ${response.status}).`);
    return;
  }
  start(body.token);
});

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('token-input').value.trim();
  if (!tokenSubject(token)) {
    setError('signin-error', 'That is not an access token with a valid user (a JWT whose "sub" is a user name).');
    return;
  }
  start(token);
});

$('signout').addEventListener('click', () => {
  sessionStorage.clear();
  app.client?.close();
  location.reload();
});

/** Back to the sign-in form with a message, as after a refused or expired token. */
function signOut(message) {
  sessionStorage.clear();
  app.client?.close();
  app.client = null;
  app.rooms.clear();
  app.current = null;
  showSignin(message);
}

// --- Session -------------------------------------------------------------------------------------

function start(token) {
  app.user = tokenSubject(token);
  if (!app.user) {
    showSignin('That token does not name a valid user.');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('signin').hidden = true;
  $('chat').hidden = false;
  $('me').textContent = app.user;
  $('me').title = `Signed in as ${app.user}`;

  const client = new ChatClient({ token });
  app.client = client;
  client.on('state', showConnection);
  client.on('message', onMessage);
  client.on('presence', (p) => p.room === app.current && drawOnline());
  client.on('typing', onTyping);
  client.on('reset', onReset);
  client.connect();
  loadRooms();
}

async function loadRooms() {
  let listed = [];
  try {
    listed = (await app.client.myRooms()).rooms ?? [];
  } catch (e) {
    if (e.status === 401 || !(await tokenAccepted())) {
      signOut('The server did not accept that token (it may have expired). Sign in again.');
      return;
    }
    // No unread list from the server (an older history service, or it is down): use what this browser remembers.
    listed = savedRooms().map((r) => ({ room: r.room, readSeq: r.readSeq ?? null, lastSeq: null, unread: 0 }));
  }
  for (const r of listed) {
    const room = addRoom(r.room, { unread: r.unread ?? 0, serverLastSeq: r.lastSeq ?? null, readSeq: r.readSeq ?? null });
    joinRoom(room);
  }
  // A reload keeps the open room; a new sign-in starts at the list, unread badges and all.
  const last = sessionStorage.getItem('chat.current');
  if (last && app.rooms.has(last) && matchMedia('(min-width: 721px)').matches) openRoom(last);
  drawRooms();
}

/** Whether the gateway accepts the token (asked when the history service could not tell). */
async function tokenAccepted() {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const response = await fetch(`/users/${encodeURIComponent(app.user)}/presence`, { headers: { Authorization: `Bearer ${token}` } });
    return response.status !== 401;
  } catch {
    return true; // unreachable is not refused: the client keeps trying
  }
}

function savedRooms() {
  try {
    return JSON.parse(localStorage.getItem(`chat.rooms.${app.user}`) || '[]');
  } catch {
    return [];
  }
}

function saveRooms() {
  const list = [...app.rooms.values()].map((r) => ({ room: r.name, readSeq: r.readSeq }));
  localStorage.setItem(`chat.rooms.${app.user}`, JSON.stringify(list));
}

// --- Connection state ----------------------------------------------------------------------------

function showConnection(s) {
  if (s.state === 'reconnecting' && s.attempt === 3) {
    // Several failed tries: maybe the token has expired (the upgrade fails with 401, which a page cannot see).
    tokenAccepted().then((ok) => ok || signOut('Your session has expired. Sign in again.'));
  }
  const conn = $('conn');
  conn.dataset.state = s.state;
  if (s.node) conn.dataset.node = s.node;
  const text = {
    connecting: 'Connecting…',
    connected: `Connected to ${s.node}`,
    recovered: `Recovered on ${s.node}`,
    reconnecting: s.attempt > 1 ? `Reconnecting… (try ${s.attempt})` : 'Reconnecting…',
    closed: 'Disconnected',
  }[s.state] ?? s.state;
  $('conn-text').textContent = text;
  conn.title = s.state === 'recovered' ? 'Reconnected and caught up: no message was missed' : text;
}

// --- Rooms ---------------------------------------------------------------------------------------

/** @returns {Room} */
function addRoom(name, fields = {}) {
  let room = app.rooms.get(name);
  const known = !!room;
  if (!room) {
    room = { name, peer: otherParticipant(name, app.user), unread: 0, serverLastSeq: null, readSeq: null,
      messages: [], pending: new Map(), loaded: false, noOlder: false, loadingOlder: false, firstUnread: null,
      joined: null, error: null, readTimer: null };
    app.rooms.set(name, room);
  }
  Object.assign(room, fields);
  if (!known) saveRooms();
  return room;
}

/** Joins a room, catching up from where this user last read (at most the last 200 messages in-band). */
function joinRoom(room) {
  let since;
  if (room.readSeq != null) since = Math.max(room.readSeq, (room.serverLastSeq ?? room.readSeq) - 200);
  room.joined = app.client.join(room.name, { since }).then((joined) => {
    room.error = null;
    return joined;
  }, (e) => {
    room.error = e.code === 'forbidden' ? 'You may not join this room.' : `Could not join: ${e.message}`;
    if (room.name === app.current) drawRoom();
    throw e;
  });
  room.joined.catch(() => {});
  return room.joined;
}

function drawRooms() {
  const rooms = [...app.rooms.values()];
  drawList($('room-list'), rooms.filter((r) => !r.peer).sort((a, b) => a.name.localeCompare(b.name)));
  drawList($('dm-list'), rooms.filter((r) => r.peer).sort((a, b) => a.peer.localeCompare(b.peer)));
  $('no-rooms').hidden = rooms.some((r) => !r.peer);
  $('no-dms').hidden = rooms.some((r) => r.peer);
}

function drawList(list, rooms) {
  list.replaceChildren(...rooms.map((room) => {
    const item = document.createElement('li');
    item.dataset.room = room.name;
    if (room.unread > 0) item.classList.add('unread');
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-current', String(room.name === app.current));
    button.append(span('sigil', room.peer ? '@' : '#'), span('name', room.peer ?? room.name));
    if (room.unread > 0) {
      const badge = span('badge', room.unread > 99 ? '99+' : String(room.unread));
      badge.setAttribute('aria-label', `${room.unread} unread`);
      button.append(badge);
    }
    button.addEventListener('click', () => openRoom(room.name));
    item.append(button);
    return item;
  }));
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('join-room').value.trim();
  if (!NAME.test(name)) {
    setError('sidebar-error', 'A room name is 1 to 64 letters, digits, dots, dashes or underscores.');
    return;
  }
  setError('sidebar-error', '');
  $('join-room').value = '';
  const room = addRoom(name);
  if (!room.joined) joinRoom(room);
  openRoom(name);
});

$('dm-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const peer = $('dm-user').value.trim();
  if (!NAME.test(peer)) {
    setError('sidebar-error', 'A user id is 1 to 64 letters, digits, dots, dashes or underscores.');
    return;
  }
  setError('sidebar-error', '');
  $('dm-user').value = '';
  const room = addRoom(directRoom(app.user, peer));
  if (!room.joined) joinRoom(room); // for typing and presence; direct messages arrive either way
  openRoom(room.name);
});

$('leave').addEventListener('click', () => {
  const room = app.rooms.get(app.current);
  if (!room) return;
  clearTimeout(room.readTimer);
  app.client.leave(room.name);
  app.rooms.delete(room.name);
  saveRooms();
  app.current = null;
  drawRooms();
  drawRoom();
  $('chat').dataset.view = 'rooms';
});

$('back').addEventListener('click', () => {
  $('chat').dataset.view = 'rooms';
});

// --- The open room -------------------------------------------------------------------------------

async function openRoom(name) {
  const room = app.rooms.get(name);
  if (!room) return;
  app.current = name;
  sessionStorage.setItem('chat.current', name);
  room.firstUnread = room.unread > 0 ? firstUnreadSeq(room) : null;
  $('chat').dataset.view = 'room';
  drawRooms();
  drawRoom();
  if (matchMedia('(min-width: 721px)').matches) $('message-input').focus();
  if (!room.loaded) {
    room.loaded = true;
    try {
      await room.joined;
      const older = await app.client.backlog(name, PAGE);
      merge(room, older);
      room.noOlder = older.length < PAGE || older[0]?.seq === 1;
    } catch (e) {
      room.loaded = false;
      if (!room.error) room.error = `Could not load messages: ${e.message}`;
    }
    if (app.current === name) drawRoom({ stick: true });
  }
  markRead(room);
}

function firstUnreadSeq(room) {
  if (room.readSeq != null) return room.readSeq + 1;
  if (room.serverLastSeq != null) return room.serverLastSeq - room.unread + 1;
  return room.firstUnread; // counted live since this page opened
}

/** Adds messages (any order, duplicates ignored) to a room's sorted list. */
function merge(room, messages) {
  const known = new Set(room.messages.map((m) => m.seq));
  const fresh = messages.filter((m) => !known.has(m.seq));
  if (!fresh.length) return false;
  room.messages.push(...fresh);
  room.messages.sort((a, b) => a.seq - b.seq);
  return true;
}

function drawRoom({ stick = false, keepFromBottom = null } = {}) {
  const room = app.rooms.get(app.current);
  $('empty').hidden = !!room;
  $('room').hidden = !room;
  if (!room) return;
  const box = $('messages');
  const atBottom = stick || box.scrollHeight - box.scrollTop - box.clientHeight < 60;

  $('room-title').textContent = room.peer ? `@ ${room.peer}` : `# ${room.name}`;
  $('leave').hidden = !!room.peer;
  $('message-input').placeholder = room.peer ? `Message ${room.peer}` : `Message #${room.name}`;
  drawOnline();
  drawTyping();

  const oldest = room.messages[0]?.seq;
  $('older').hidden = room.noOlder || !room.loaded || !oldest || oldest <= 1;
  $('beginning').hidden = !(room.loaded && (room.noOlder || oldest === 1));
  $('beginning').textContent = room.messages.length
    ? `This is the beginning of ${room.peer ? `your conversation with ${room.peer}` : `#${room.name}`}.`
    : 'No messages yet. Say hello!';

  const items = [];
  let previous = null;
  for (const m of room.messages) {
    const day = new Date(m.ts).toDateString();
    if (room.firstUnread != null && m.seq === room.firstUnread && m.from !== app.user) {
      items.push(divider('New messages', 'new'));
      previous = null;
    } else if (!previous || new Date(previous.ts).toDateString() !== day) {
      items.push(divider(dayLabel(m.ts)));
      previous = null;
    }
    items.push(messageItem(m, !previous || previous.from !== m.from || m.ts - previous.ts > 5 * 60_000));
    previous = m;
  }
  for (const [cid, p] of room.pending) {
    const item = messageItem({ from: app.user, text: p.text, ts: p.ts, cid }, true);
    item.classList.add(p.error ? 'failed' : 'pending');
    item.append(span('status', p.error ? `Not sent: ${p.error}` : 'Sending…'));
    items.push(item);
  }
  if (room.error) {
    const item = document.createElement('li');
    item.className = 'error small';
    item.textContent = room.error;
    items.push(item);
  }
  $('message-list').replaceChildren(...items);

  if (keepFromBottom != null) box.scrollTop = box.scrollHeight - keepFromBottom;
  else if (atBottom) box.scrollTop = box.scrollHeight;
}

function messageItem(m, first) {
  const item = document.createElement('li');
  item.className = `message${first ? ' first' : ''}${m.from === app.user ? ' mine' : ''}`;
  if (m.seq != null) item.dataset.seq = m.seq;
  const avatar = span('avatar', m.from.slice(0, 1).toUpperCase());
  avatar.style.background = colour(m.from);
  avatar.setAttribute('aria-hidden', 'true');
  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = new Date(m.ts).toISOString();
  time.title = new Date(m.ts).toLocaleString();
  time.textContent = new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  meta.append(span('from', m.from), time);
  item.append(avatar, meta, span('text', m.text));
  item.setAttribute('aria-label', `${m.from} at ${time.textContent}: ${m.text}`);
  return item;
}

function divider(text, kind = '') {
  const item = document.createElement('li');
  item.className = `divider ${kind}`;
  item.setAttribute('role', 'separator');
  item.textContent = text;
  return item;
}

function dayLabel(ts) {
  const day = new Date(ts);
  const today = new Date();
  if (day.toDateString() === today.toDateString()) return 'Today';
  today.setDate(today.getDate() - 1);
  if (day.toDateString() === today.toDateString()) return 'Yesterday';
  return day.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}

function span(className, text) {
  const s = document.createElement('span');
  s.className = className;
  s.textContent = text;
  return s;
}

function colour(user) {
  let hash = 0;
  for (const c of user) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

function drawOnline() {
  const room = app.rooms.get(app.current);
  if (!room) return;
  const users = app.client.members(room.name);
  const online = $('online');
  online.dataset.users = users.join(',');
  if (room.peer) {
    online.textContent = users.includes(room.peer) ? `${room.peer} is here` : 'Direct message';
  } else {
    online.textContent = users.length ? `${users.length} online: ${users.join(', ')}` : 'Nobody online';
  }
  if (users.length && (!room.peer || users.includes(room.peer))) online.prepend(span('here', ''));
}

// Scrollback: older messages from the history API, keeping the view where it was.
async function loadOlder() {
  const room = app.rooms.get(app.current);
  if (!room || room.loadingOlder || room.noOlder || !room.messages.length) return;
  room.loadingOlder = true;
  $('older').disabled = true;
  try {
    const page = await app.client.history(room.name, { before: room.messages[0].seq, limit: PAGE });
    const box = $('messages');
    const fromBottom = box.scrollHeight - box.scrollTop;
    merge(room, page.messages);
    room.noOlder = page.messages.length < PAGE || page.messages[0].seq === 1;
    if (app.current === room.name) drawRoom({ keepFromBottom: fromBottom });
  } catch (e) {
    room.error = `Could not load older messages: ${e.message}`;
    drawRoom();
  } finally {
    room.loadingOlder = false;
    $('older').disabled = false;
  }
}

$('older').addEventListener('click', loadOlder);
$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop < 40) loadOlder();
  else if (isAtBottom()) markRead(app.rooms.get(app.current));
}, { passive: true });

function isAtBottom() {
  const box = $('messages');
  return box.scrollHeight - box.scrollTop - box.clientHeight < 60;
}

// --- Live events ---------------------------------------------------------------------------------

function onMessage(m) {
  const room = addRoom(m.room);
  if (room.peer && !app.rooms.get(m.room).joined) joinRoom(room);
  for (const [cid, p] of room.pending) if ((m.cid === cid && m.from === app.user) || p.seq === m.seq) room.pending.delete(cid);
  merge(room, [m]);
  hideTyping(m.room, m.from);
  const counted = Math.max(room.serverLastSeq ?? 0, room.readSeq ?? 0);
  const viewing = m.room === app.current && document.visibilityState === 'visible' && isAtBottom();
  if (m.from !== app.user && m.seq > counted && !viewing) {
    if (room.unread === 0 && m.room !== app.current) room.firstUnread = m.seq;
    room.unread++;
  }
  if (m.from === app.user && m.seq > (room.readSeq ?? 0)) {
    room.readSeq = m.seq; // what I wrote I have read
    room.unread = 0;
  }
  drawRooms();
  if (m.room === app.current) {
    drawRoom();
    markRead(room);
  }
}

function onReset({ room: name }) {
  const room = app.rooms.get(name);
  if (!room) return;
  room.messages = [];
  room.loaded = false;
  if (name === app.current) openRoom(name);
}

/** Marks the open room read up to its last message, once the reader can see it. */
function markRead(room) {
  if (!room || room.name !== app.current || document.visibilityState !== 'visible' || !isAtBottom()) return;
  clearTimeout(room.readTimer);
  room.readTimer = setTimeout(() => {
    const last = room.messages[room.messages.length - 1]?.seq;
    if (last != null && last > (room.readSeq ?? 0)) {
      room.readSeq = last;
      app.client.read(room.name, last);
      saveRooms();
    }
    if (room.unread) {
      room.unread = 0;
      drawRooms();
    }
  }, 300);
}

document.addEventListener('visibilitychange', () => markRead(app.rooms.get(app.current)));

function onTyping({ room, user }) {
  if (user === app.user) return;
  const users = app.typing.get(room) ?? new Map();
  app.typing.set(room, users);
  clearTimeout(users.get(user));
  users.set(user, setTimeout(() => hideTyping(room, user), TYPING_SHOWN_MS));
  if (room === app.current) drawTyping();
}

function hideTyping(room, user) {
  const users = app.typing.get(room);
  if (!users?.has(user)) return;
  clearTimeout(users.get(user));
  users.delete(user);
  if (room === app.current) drawTyping();
}

function drawTyping() {
  const users = [...(app.typing.get(app.current)?.keys() ?? [])];
  $('typing').textContent = users.length === 0 ? ''
    : users.length === 1 ? `${users[0]} is typing…`
      : users.length === 2 ? `${users[0]} and ${users[1]} are typing…`
        : 'Several people are typing…';
}

// --- Composer ------------------------------------------------------------------------------------

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('message-input');
  const text = input.value.trim();
  const room = app.rooms.get(app.current);
  if (!text || !room) return;
  input.value = '';
  autosize();
  const sent = room.peer ? app.client.sendDirect(room.peer, text) : app.client.send(room.name, text);
  // Until its message comes back, show it as sending (it is resent by itself after a reconnect).
  const { cid } = sent;
  room.pending.set(cid, { text, ts: Date.now() });
  drawRoom({ stick: true });
  sent.then((ack) => {
    const p = room.pending.get(cid);
    if (p) p.seq = ack.seq;
    if (room.messages.some((m) => m.seq === ack.seq)) room.pending.delete(cid);
    if (app.current === room.name) drawRoom();
  }, (err) => {
    const p = room.pending.get(cid);
    if (p) p.error = err.code === 'too_large' ? 'the message is too long' : err.message;
    if (app.current === room.name) drawRoom();
  });
});

$('message-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});

$('message-input').addEventListener('input', () => {
  autosize();
  const room = app.rooms.get(app.current);
  if (room && $('message-input').value) app.client.typing(room.name);
});

function autosize() {
  const input = $('message-input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight + 2, 128)}px`;
}

// --- Start ---------------------------------------------------------------------------------------

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved && tokenSubject(saved)) start(saved);
else showSignin();
