/**
 * Browser client for the chat protocol v1 (PROTOCOL.md): one WebSocket to any gateway, automatic
 * reconnect, and per room a stream of messages in `seq` order with no gap and no duplicate, across
 * reconnects and gateway failures. No dependencies; served by the gateway at `/chat-client.js`.
 *
 * ```js
 * import { ChatClient } from '/chat-client.js';
 * const chat = new ChatClient({ token });
 * chat.on('message', (m) => console.log(m.room, m.seq, m.from, m.text));
 * chat.connect();
 * await chat.join('general');
 * await chat.send('general', 'hello');
 * ```
 *
 * @module chat-client
 */

/** Room and user names of the protocol. */
export const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The room holding the direct messages between two users: `dm:<lower>:<higher>`.
 * @param {string} a @param {string} b @returns {string}
 */
export function directRoom(a, b) {
  return a <= b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/**
 * For a direct-message room, the participant who is not `me`; null for other rooms.
 * @param {string} room @param {string} me @returns {string|null}
 */
export function otherParticipant(room, me) {
  const m = /^dm:([^:]+):([^:]+)$/.exec(room);
  return m ? (m[1] === me ? m[2] : m[1]) : null;
}

/** A refused frame (`error` with a `cid`) or a failed REST call. */
export class ChatError extends Error {
  /** @param {string} code protocol error code, or `http_<status>`, `disconnected` @param {string} message @param {number} [status] */
  constructor(code, message, status) {
    super(message || code);
    this.name = 'ChatError';
    this.code = code;
    this.status = status;
  }
}

/**
 * @typedef {object} Message
 * @property {string} room
 * @property {number} seq
 * @property {string} from
 * @property {string} text
 * @property {number} ts epoch milliseconds
 * @property {string} [cid] the sender's client id, on live messages
 */

/** Error codes after which a frame is sent again (with the same `cid`) rather than given up. */
const RETRYABLE = new Set(['unavailable', 'rate_limited']);
const HISTORY_PAGE = 500;
/** The smallest page a busy history service is asked for (its default page). */
const MIN_HISTORY_PAGE = 50;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A chat connection. Events (use `on`/`off`, or `addEventListener`, whose `event.detail` is the
 * same object):
 *
 * - `state` `{state, node?, user?, attempt?, delay?, code?, reason?}`: `connecting`, `connected`
 *   (welcome received: `node` names the gateway), `reconnecting` (the socket dropped; the next try
 *   is in `delay` ms), `recovered` (after a reconnect: every room re-joined and caught up), `closed`.
 * - `message` {@link Message}: in `seq` order per room, each once, with no gap.
 * - `joined` `{room, seq, epoch, recovered}`; `reset` `{room, seq}`: the room's epoch changed (Redis
 *   lost data), so what was shown after the last stored message may be gone: reload the room.
 * - `presence` `{room, users, joined?, left?}`: who is in the room, kept current.
 * - `typing` `{room, user}`; `ack` `{cid, room, seq, ts}`; `error` `{code, message, cid?}`.
 */
export class ChatClient extends EventTarget {
  /**
   * @param {object} options
   * @param {string | (() => string | Promise<string>)} options.token JWT, or a function returning
   *   one (called before every connection and REST call, so it may refresh the token)
   * @param {string} [options.baseUrl] http(s) URL of the gateways (or their load balancer); default: the page's origin
   * @param {string} [options.historyUrl] http(s) URL of the history API; default: `baseUrl`
   * @param {number} [options.minBackoff=500] first reconnect delay, ms (doubles per failed try, with jitter)
   * @param {number} [options.maxBackoff=15000] longest reconnect delay, ms
   * @param {number} [options.drainJitter=5000] after a `reconnect` frame (the gateway drains), the
   *   reconnect waits a random 0 to this many ms, so the clients of a draining gateway do not all
   *   land on the remaining ones in the same instant (the gateway also spreads its `reconnect` frames)
   * @param {number} [options.pingInterval=20000] ms of silence before a `ping`; twice that and the socket counts as dead
   */
  constructor(options) {
    super();
    const origin = globalThis.location?.origin;
    this.options = { minBackoff: 500, maxBackoff: 15000, drainJitter: 5000, pingInterval: 20000, ...options };
    this.baseUrl = (options.baseUrl || origin || '').replace(/\/$/, '');
    this.historyUrl = (options.historyUrl || this.baseUrl).replace(/\/$/, '');
    /** @type {string} */ this.state = 'idle';
    /** @type {string|null} gateway instance of the current connection */ this.node = null;
    /** @type {string|null} the authenticated user, from `welcome` */ this.user = null;
    this._ws = null;
    this._welcomed = false;
    this._attempt = 0;
    this._timer = null;
    this._pinger = null;
    this._lastHeard = 0;
    this._stopped = true;
    this._everConnected = false;
    this._recovering = null; // rooms still catching up after a reconnect
    this._cid = 0;
    this._cidPrefix = Math.random().toString(36).slice(2, 8);
    /** @type {Map<string, object>} */ this._rooms = new Map();
    /** @type {Map<string, object>} unacknowledged sends by cid, in send order */ this._pending = new Map();
    this._sendPausedUntil = 0;
    this._sendDelay = this.options.minBackoff;
    /** @type {Map<string, object>} presence queries by cid */ this._queries = new Map();
    /** @type {Map<string, Set<string>>} */ this._presence = new Map();
    /** @type {WeakMap<Function, Map<string, Function>>} listeners added with `on` */ this._listeners = new WeakMap();
  }

  /** Subscribes to an event; the listener gets the event's detail. @returns {() => void} unsubscribe */
  on(type, listener) {
    const wrapped = (e) => listener(e.detail);
    if (!this._listeners.has(listener)) this._listeners.set(listener, new Map());
    this._listeners.get(listener).set(type, wrapped);
    this.addEventListener(type, wrapped);
    return () => this.off(type, listener);
  }

  /** Removes a listener added with `on`. */
  off(type, listener) {
    const byType = this._listeners.get(listener);
    if (byType?.has(type)) this.removeEventListener(type, byType.get(type));
    byType?.delete(type);
  }

  /** True while a socket is open and welcomed. */
  get connected() {
    return this._welcomed;
  }

  /** Opens the connection (and keeps it open until `close`). */
  connect() {
    if (!this._stopped) return;
    this._stopped = false;
    this._setState('connecting');
    this._open();
  }

  /** Closes the connection for good; rooms and unsent messages are kept should `connect` be called again. */
  close() {
    this._stopped = true;
    clearTimeout(this._timer);
    this._detach(1000, 'client closed');
    this._setState('closed');
  }

  /**
   * Starts receiving a room. After a reconnect the client joins it again by itself, with `since`.
   * @param {string} room a room name, or a `dm:` room of this user
   * @param {{since?: number}} [opts] `since`: deliver every message after this seq first (to catch up)
   * @returns {Promise<{room: string, seq: number, epoch: string, recovered?: boolean}>} the `joined` answer
   */
  join(room, opts = {}) {
    let r = this._rooms.get(room);
    if (!r) {
      r = this._room(room);
      if (Number.isInteger(opts.since)) r.lastSeq = r.origin = opts.since;
    }
    r.wanted = true;
    const answer = new Promise((resolve, reject) => r.waiters.push({ resolve, reject }));
    if (this._welcomed) this._sendJoin(r);
    return answer;
  }

  /** Stops receiving a room; its unsent messages are dropped. @param {string} room @returns {Promise<void>} */
  leave(room) {
    const r = this._rooms.get(room);
    this._rooms.delete(room);
    this._presence.delete(room);
    for (const [cid, p] of this._pending) {
      if (p.frame.room === room) {
        this._pending.delete(cid);
        p.reject(new ChatError('not_joined', `left ${room}`));
      }
    }
    this._pump();
    r?.waiters.splice(0).forEach((w) => w.reject(new ChatError('not_joined', `left ${room}`)));
    if (this._welcomed && r?.joinedHere) this._write({ type: 'leave', room });
    this._checkRecovered();
    return Promise.resolve();
  }

  /**
   * Posts to a joined room. The message is kept until acknowledged and sent again, with the same
   * `cid`, after a reconnect: it is posted once, however often the connection drops. Messages go
   * out one at a time, each after the previous one's `ack`, so they keep their order.
   * @param {string} room @param {string} text
   * @returns {Promise<{cid: string, room: string, seq: number, ts: number}> & {cid: string}} the `ack`;
   *   the promise's `cid` is the message's client id, which its `message` will carry
   */
  send(room, text) {
    if (!this._rooms.get(room)?.wanted) return Promise.reject(new ChatError('not_joined', `join ${room} first`));
    return this._enqueue({ type: 'send', room, text });
  }

  /** Sends a direct message to a user (no join needed); like `send`. @param {string} user @param {string} text */
  sendDirect(user, text) {
    return this._enqueue({ type: 'send', to: user, text });
  }

  /** Tells the room this user is typing; at most one signal per 2 s per room is sent. @param {string} room */
  typing(room) {
    const r = this._rooms.get(room);
    const now = Date.now();
    if (!r?.joinedHere || now - r.typedAt < 2000) return;
    r.typedAt = now;
    this._write({ type: 'typing', room });
  }

  /** Marks everything up to `seq` read (sent now, or once connected). @param {string} room @param {number} seq */
  read(room, seq) {
    const r = this._rooms.get(room);
    if (r) r.readSeq = Math.max(r.readSeq ?? 0, seq);
    if (this._welcomed) this._write({ type: 'read', room, seq });
  }

  /** Asks who is in the room now. @param {string} room @returns {Promise<string[]>} sorted user ids */
  presence(room) {
    if (!this._welcomed) return Promise.reject(new ChatError('disconnected', 'not connected'));
    const cid = this._nextCid();
    return new Promise((resolve, reject) => {
      this._queries.set(cid, { resolve, reject });
      this._write({ type: 'presence', room, cid });
    });
  }

  /** The users the client knows to be in a room (kept current from presence events). @returns {string[]} */
  members(room) {
    return [...(this._presence.get(room) ?? [])].sort();
  }

  /** The last seq delivered for a room, or null. @param {string} room */
  lastSeq(room) {
    return this._rooms.get(room)?.lastSeq ?? null;
  }

  /**
   * One page of a room's history (history API): `after` gives messages above a seq, `before` the
   * ones just below it (scrollback), neither the latest. Ascending.
   * @param {string} room @param {{after?: number, before?: number, limit?: number}} [query]
   * @returns {Promise<{room: string, messages: Message[], hasMore: boolean}>}
   */
  history(room, query = {}) {
    const params = new URLSearchParams();
    for (const key of ['after', 'before', 'limit']) if (query[key] != null) params.set(key, String(query[key]));
    return this._get(`/rooms/${encodeURIComponent(room)}/messages?${params}`);
  }

  /**
   * The messages at and below the point where the room's live stream starts (its join position),
   * complete up to that point even while the history service is still catching up: the backlog to
   * show above the live messages when a room is opened. Waits at most `patience` ms for the
   * history service to catch up, then returns what it has.
   * @param {string} room @param {number} [limit=50] @param {number} [patience=15000]
   * @returns {Promise<Message[]>}
   */
  async backlog(room, limit = 50, patience = 15000) {
    const r = this._rooms.get(room);
    const upTo = r?.origin;
    if (upTo == null || upTo < 1) return [];
    const page = await this._stored(room, { before: upTo + 1, limit });
    const messages = page.messages.filter((m) => m.seq <= upTo);
    let last = messages.length ? messages[messages.length - 1].seq : Math.max(0, upTo - limit);
    const deadline = Date.now() + patience;
    for (let wait = 250; last < upTo && Date.now() < deadline; wait = Math.min(wait * 2, 4000)) {
      const more = await this._stored(room, { after: last, limit: Math.min(HISTORY_PAGE, upTo - last) });
      const fresh = more.messages.filter((m) => m.seq > last && m.seq <= upTo);
      if (fresh.length) {
        messages.push(...fresh);
        last = fresh[fresh.length - 1].seq;
      } else {
        await sleep(wait); // the history service has not stored them yet
      }
    }
    return messages.slice(-limit);
  }

  /** Like `history`, but a room the history service has not stored yet (404) has no messages. */
  async _stored(room, query) {
    try {
      return await this.history(room, query);
    } catch (e) {
      if (e.status === 404) return { room, messages: [], hasMore: false };
      throw e;
    }
  }

  /** The caller's rooms with `lastSeq`, `readSeq` and `unread` (history API `GET /users/me/rooms`). */
  myRooms() {
    return this._get('/users/me/rooms');
  }

  // --- Connection ------------------------------------------------------------------------------

  async _open() {
    let token;
    try {
      token = await this._token();
    } catch (e) {
      this._emit('error', { code: 'token', message: String(e?.message || e) });
      this._scheduleReconnect(0, 'no token');
      return;
    }
    if (this._stopped) return;
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/chat?access_token=${encodeURIComponent(token)}`;
    const ws = new (this.options.WebSocket || WebSocket)(url);
    this._ws = ws;
    this._welcomed = false;
    this._draining = false;
    ws.onmessage = (e) => ws === this._ws && this._onFrame(e.data);
    ws.onclose = (e) => ws === this._ws && this._onClose(e.code, e.reason);
    ws.onerror = () => {}; // a close event follows
    // An upgrade that hangs, or a socket that never says welcome, counts as a failed try.
    this._welcomeTimer = setTimeout(() => ws === this._ws && !this._welcomed && this._onClose(4002, 'no welcome'), 10000);
  }

  _onClose(code, reason) {
    this._detach();
    if (this._stopped) return;
    // After `reconnect` (drain) go within seconds, at a random moment: thousands of clients of one
    // gateway must not reach the others together. After a failure back off, more with each failed try.
    this._scheduleReconnect(this._draining ? Math.random() * this.options.drainJitter : this._backoff(), reason, code);
  }

  _backoff() {
    const { minBackoff, maxBackoff } = this.options;
    const ceiling = Math.min(maxBackoff, minBackoff * 2 ** this._attempt);
    return ceiling / 2 + (Math.random() * ceiling) / 2; // "equal jitter": spread retries, keep a floor
  }

  _scheduleReconnect(delay, reason, code) {
    this._attempt++;
    this._setState('reconnecting', { attempt: this._attempt, delay: Math.round(delay), code, reason });
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._stopped || this._open(), delay);
  }

  /** Forgets the current socket (closing it if open); what was joined on it must be joined again. */
  _detach(code, reason) {
    const ws = this._ws;
    this._ws = null;
    this._welcomed = false;
    clearInterval(this._pinger);
    clearTimeout(this._drainTimer);
    clearTimeout(this._welcomeTimer);
    for (const r of this._rooms.values()) r.joinedHere = false;
    for (const q of this._queries.values()) q.reject(new ChatError('disconnected', 'connection lost'));
    this._queries.clear();
    if (ws && ws.readyState <= 1) {
      try {
        ws.close(code ?? 4000, reason ?? 'reconnecting');
      } catch {
        ws.close();
      }
    }
  }

  _onWelcome(f) {
    clearTimeout(this._welcomeTimer);
    this._welcomed = true;
    this._attempt = 0;
    this.node = f.node;
    this.user = f.user;
    this._lastHeard = Date.now();
    this._pinger = setInterval(() => this._checkAlive(), Math.max(1000, this.options.pingInterval / 2));
    const reconnect = this._everConnected;
    this._everConnected = true;
    const rooms = [...this._rooms.values()].filter((r) => r.wanted || r.name.startsWith('dm:'));
    this._recovering = reconnect ? new Set(rooms.map((r) => r.name)) : null;
    this._setState('connected', { node: f.node, user: f.user, reconnect });
    // Every room again, from where it stopped: a direct-message room seen before is joined too, so
    // direct messages sent while disconnected are replayed like any room's.
    for (const r of rooms) {
      r.wanted = true;
      this._sendJoin(r);
    }
    this._pump();
    this._checkRecovered();
  }

  _checkAlive() {
    const silent = Date.now() - this._lastHeard;
    if (silent > 2 * this.options.pingInterval) {
      this._onClose(4001, 'no answer from the gateway'); // half-open socket: go elsewhere
    } else if (silent > this.options.pingInterval) {
      this._write({ type: 'ping' });
    }
  }

  // --- Frames ----------------------------------------------------------------------------------

  _onFrame(data) {
    this._lastHeard = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    switch (f.type) {
      case 'welcome': return this._onWelcome(f);
      case 'joined': return this._onJoined(f);
      case 'message': return this._onMessage(f);
      case 'ack': return this._onAck(f);
      case 'error': return this._onError(f);
      case 'presence': return this._onPresence(f);
      case 'presence.join': return this._presenceChange(f.room, f.user, true);
      case 'presence.leave': return this._presenceChange(f.room, f.user, false);
      case 'typing': return this._emit('typing', { room: f.room, user: f.user });
      case 'reconnect': return this._onReconnect();
      default: return undefined; // left, pong, and frame types of later protocol versions
    }
  }

  _onReconnect() {
    // The gateway is going away: it closes with 1012 after answering frames in flight; don't wait forever.
    this._draining = true;
    this._drainTimer = setTimeout(() => this._onClose(1012, 'gateway restarting'), 5000);
  }

  _onJoined(f) {
    const r = this._rooms.get(f.room);
    if (!r) return;
    r.joinedHere = true;
    const epochChanged = r.epoch != null && f.epoch != null && f.epoch !== r.epoch;
    r.epoch = f.epoch ?? r.epoch;
    r.catchUpTo = f.seq;
    if (r.lastSeq == null || (f.recovered === false && epochChanged)) {
      // A new stream (first join), or one whose unstored tail Redis lost: start over at its head.
      const reset = r.lastSeq != null;
      r.lastSeq = r.origin = f.seq;
      r.buffer = r.buffer.filter((m) => m.seq > f.seq);
      if (reset) this._emit('reset', { room: r.name, seq: f.seq });
    } else if (f.recovered === false && f.seq > r.lastSeq) {
      this._fill(r, f.seq); // the gap was too old to replay in-band: the history API has it
    }
    const answer = { room: f.room, seq: f.seq, epoch: f.epoch, recovered: f.recovered };
    r.waiters.splice(0).forEach((w) => w.resolve(answer));
    this._emit('joined', answer);
    if (r.readSeq != null) this._write({ type: 'read', room: r.name, seq: r.readSeq });
    r.joinDelay = 0;
    this._pump();
    this.presence(r.name).catch(() => {}); // the answer updates members() and emits `presence`
    this._checkRecovered();
  }

  _onMessage(f) {
    if (typeof f.seq !== 'number' || !f.room) return;
    let r = this._rooms.get(f.room);
    if (!r) {
      if (!f.room.startsWith('dm:')) return; // a room left a moment ago
      r = this._room(f.room); // a direct message: no join needed, but track it from here on
    }
    r.buffer.push(f);
    if (!r.filling) this._drain(r);
  }

  _onAck(f) {
    const p = this._pending.get(f.cid);
    if (p) {
      this._pending.delete(f.cid);
      this._sendDelay = this.options.minBackoff;
      p.resolve(f);
      this._pump();
    }
    this._emit('ack', f);
  }

  _onError(f) {
    const p = f.cid && this._pending.get(f.cid);
    if (p) {
      if (RETRYABLE.has(f.code)) {
        // Not accepted: hold every send for a while, then this one again with the same cid.
        p.sentOn = null;
        this._sendPausedUntil = Date.now() + this._sendDelay;
        setTimeout(() => this._pump(), this._sendDelay + 5);
        this._sendDelay = Math.min(this._sendDelay * 2, this.options.maxBackoff);
      } else {
        this._pending.delete(f.cid);
        p.reject(new ChatError(f.code, f.message));
        this._pump();
      }
      return;
    }
    const q = f.cid && this._queries.get(f.cid);
    if (q) {
      this._queries.delete(f.cid);
      q.reject(new ChatError(f.code, f.message));
      return;
    }
    const r = f.cid && [...this._rooms.values()].find((room) => room.joinCid === f.cid);
    if (r) {
      if (RETRYABLE.has(f.code)) {
        r.joinDelay = Math.min(this.options.maxBackoff, (r.joinDelay || this.options.minBackoff) * 2);
        setTimeout(() => this._welcomed && r.wanted && !r.joinedHere && this._sendJoin(r), r.joinDelay);
        return;
      }
      r.wanted = false;
      if (r.lastSeq == null) this._rooms.delete(r.name);
      r.waiters.splice(0).forEach((w) => w.reject(new ChatError(f.code, f.message)));
      this._recovering?.delete(r.name);
      this._checkRecovered();
    }
    this._emit('error', { code: f.code, message: f.message, cid: f.cid });
  }

  _onPresence(f) {
    const q = f.cid && this._queries.get(f.cid);
    if (q) {
      this._queries.delete(f.cid);
      q.resolve(f.users);
    }
    this._presence.set(f.room, new Set(f.users));
    this._emit('presence', { room: f.room, users: this.members(f.room) });
  }

  _presenceChange(room, user, joined) {
    const users = this._presence.get(room) ?? new Set();
    this._presence.set(room, users);
    if (joined) users.add(user);
    else users.delete(user);
    this._emit('presence', { room, users: this.members(room), [joined ? 'joined' : 'left']: user });
  }

  // --- Ordered delivery and gap filling ---------------------------------------------------------

  _room(name) {
    const r = { name, wanted: false, joinedHere: false, lastSeq: null, origin: null, epoch: null, buffer: [],
      filling: false, fillTarget: 0, catchUpTo: 0, waiters: [], typedAt: 0, readSeq: null, joinCid: null, joinDelay: 0 };
    this._rooms.set(name, r);
    return r;
  }

  _sendJoin(r) {
    r.joinCid = this._nextCid();
    const frame = { type: 'join', room: r.name, cid: r.joinCid };
    if (r.lastSeq != null) {
      frame.since = r.lastSeq;
      if (r.epoch != null) frame.epoch = r.epoch;
    }
    this._write(frame);
  }

  /**
   * Delivers the room's buffered messages that continue its sequence; drops those already
   * delivered. A message beyond a hole starts fetching the hole from the history API.
   */
  _drain(r) {
    r.buffer.sort((a, b) => a.seq - b.seq);
    while (r.buffer.length) {
      const m = r.buffer[0];
      if (r.lastSeq == null) r.lastSeq = r.origin = m.seq - 1; // a direct message on a room not seen before
      if (m.seq <= r.lastSeq) {
        r.buffer.shift();
      } else if (m.seq === r.lastSeq + 1) {
        r.buffer.shift();
        this._deliver(r, m);
      } else {
        if (!r.filling) this._fill(r, m.seq - 1);
        return;
      }
    }
    this._caughtUp(r);
  }

  _deliver(r, m) {
    r.lastSeq = m.seq;
    const message = { room: m.room, seq: m.seq, from: m.from, text: m.text, ts: m.ts };
    if (m.cid) message.cid = m.cid;
    this._emit('message', message);
  }

  /** Fetches the room's messages up to `target` from the history API, holding live ones meanwhile. */
  async _fill(r, target) {
    r.fillTarget = Math.max(r.fillTarget, target);
    if (r.filling) return;
    r.filling = true;
    let wait = 250;
    let pageSize = HISTORY_PAGE;
    try {
      while (!this._stopped && this._rooms.get(r.name) === r) {
        this._drain(r); // messages replayed in-band meanwhile may already close the gap
        if (r.lastSeq >= r.fillTarget) break;
        let delivered = false;
        try {
          const page = await this._stored(r.name, { after: r.lastSeq, limit: pageSize });
          r.buffer.push(...page.messages);
          const before = r.lastSeq;
          this._drain(r);
          delivered = r.lastSeq > before;
        } catch (e) {
          // A busy history service still serves the pages whose largest answer fits what it has room for: ask for less.
          if (e.status === 503) pageSize = Math.max(MIN_HISTORY_PAGE, Math.floor(pageSize / 2));
          this._emit('error', { code: e.code || 'history', message: `history for ${r.name}: ${e.message}` });
        }
        if (delivered) {
          wait = 250;
        } else {
          await sleep(wait); // not stored yet, or the history service is down: try again
          wait = Math.min(wait * 2, 5000);
        }
      }
    } finally {
      r.filling = false;
    }
    this._drain(r);
  }

  _caughtUp(r) {
    if (!r.filling && r.joinedHere && r.lastSeq >= r.catchUpTo) this._checkRecovered(r.name);
  }

  _checkRecovered(done) {
    if (!this._recovering || !this._welcomed) return;
    if (done) this._recovering.delete(done);
    for (const name of this._recovering) {
      const r = this._rooms.get(name);
      if (!r || (!r.wanted && r.lastSeq == null)) this._recovering.delete(name);
      else if (r.joinedHere && !r.filling && r.lastSeq >= r.catchUpTo) this._recovering.delete(name);
    }
    if (this._recovering.size === 0) {
      this._recovering = null;
      this._setState('recovered', { node: this.node, user: this.user });
    }
  }

  // --- Sending ---------------------------------------------------------------------------------

  _enqueue(frame) {
    frame.cid = this._nextCid();
    const acked = new Promise((resolve, reject) => this._pending.set(frame.cid, { frame, resolve, reject, sentOn: null }));
    this._pump();
    return Object.assign(acked, { cid: frame.cid });
  }

  /**
   * Writes the oldest unacknowledged message unless this connection already has it: one at a time,
   * so a user's messages keep their order across reconnects and refusals, and a burst of them
   * never trips the gateway's rate limit.
   */
  _pump() {
    const p = this._pending.values().next().value;
    if (!p || !this._welcomed || p.sentOn === this._ws || Date.now() < this._sendPausedUntil) return;
    if (p.frame.room && !this._rooms.get(p.frame.room)?.joinedHere) return; // once the room is joined here
    p.sentOn = this._ws;
    this._write(p.frame);
  }

  _write(frame) {
    if (this._ws?.readyState === 1) this._ws.send(JSON.stringify(frame));
  }

  _nextCid() {
    return `${this._cidPrefix}-${++this._cid}`;
  }

  // --- Plumbing --------------------------------------------------------------------------------

  async _token() {
    const t = this.options.token;
    return typeof t === 'function' ? t() : t;
  }

  async _get(path) {
    const response = await (this.options.fetch || fetch)(this.historyUrl + path, {
      headers: { Authorization: `Bearer ${await this._token()}`, Accept: 'application/json' },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ChatError(body.code || `http_${response.status}`, body.message || response.statusText, response.status);
    return body;
  }

  _setState(state, detail = {}) {
    this.state = state;
    this._emit('state', { state, ...detail });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
