// Socket.IO 4.8 + @socket.io/redis-adapter peer for the side-by-side benchmark (load-test/benchmark.sh).
// It offers what the load tool needs and nothing more, the way the seed comparison ran Socket.IO:
// plain room broadcasting through the Redis adapter, no storage, no extra Redis command per send.
//
// Events (client -> server): join {room, cid}, send {room, text, cid}.
// Events (server -> client): joined {room, cid, seq, origin}, ack {cid, room, seq, origin, ts},
//   message {room, seq, origin, from, text, ts, cid}, error {code, message, cid}.
// `seq` is counted per room IN THIS PROCESS (in memory) and tagged with `origin` (this instance's
// NODE_ID): Socket.IO promises order per sender connection and instance, not per room across a
// cluster, so the tool checks loss, duplicates and order per (room, origin). A cluster-wide counter
// (Redis INCR) would add a Redis round trip per send that the seed comparison did not pay.
//
// Authentication: the same HS256 JWT as the chat gateways (CHAT_JWT_SECRET, issuer `chat`, sub = user),
// in the Socket.IO CONNECT auth payload {"token": "..."} or the `access_token` query parameter.
// With PEER_ALLOW_QUERY_USER=1 a `user` query parameter is accepted instead (no token; local tests only).
//
// Environment: PORT (default 3001), REDIS_URL (default redis://127.0.0.1:6379), CHAT_JWT_SECRET,
//   NODE_ID (default peer-<port>), PEER_ALLOW_QUERY_USER.
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');

const port = Number(process.env.PORT || 3001);
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const secret = process.env.CHAT_JWT_SECRET || '';
const nodeId = process.env.NODE_ID || `peer-${port}`;
const allowQueryUser = process.env.PEER_ALLOW_QUERY_USER === '1';
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_TEXT = 4000;

if (!secret && !allowQueryUser) {
  console.error('CHAT_JWT_SECRET is not set (or set PEER_ALLOW_QUERY_USER=1 for unauthenticated local tests)');
  process.exit(2);
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Returns the token's user id, or null when the token is not a valid HS256 JWT from issuer `chat`. */
function verify(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = b64urlJson(parts[0]);
    if (header.alg !== 'HS256') return null;
    const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
    const claims = b64urlJson(parts[1]);
    const now = Date.now() / 1000;
    if (claims.iss !== 'chat' || typeof claims.exp !== 'number' || claims.exp < now) return null;
    return typeof claims.sub === 'string' && NAME.test(claims.sub) ? claims.sub : null;
  } catch (e) {
    return null;
  }
}

async function main() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  pub.on('error', (e) => console.error('redis pub:', e.message));
  sub.on('error', (e) => console.error('redis sub:', e.message));
  await Promise.all([pub.connect(), sub.connect()]);

  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const io = new Server(server, { serveClient: false, adapter: createAdapter(pub, sub) });
  const seqs = new Map(); // room -> last seq assigned by this instance

  io.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    const query = socket.handshake.query || {};
    let user = verify(auth.token || query.access_token);
    if (!user && allowQueryUser && typeof query.user === 'string' && NAME.test(query.user)) user = query.user;
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });

  io.on('connection', (socket) => {
    const refuse = (code, message, cid) => socket.emit('error', { code, message, cid });
    socket.on('join', (frame) => {
      const room = frame && frame.room;
      const cid = frame && frame.cid;
      if (typeof room !== 'string' || !NAME.test(room)) return refuse('bad_request', 'bad room name', cid);
      socket.join(room);
      socket.emit('joined', { room, cid, seq: seqs.get(room) || 0, origin: nodeId });
    });
    socket.on('send', (frame) => {
      const room = frame && frame.room;
      const cid = frame && frame.cid;
      if (typeof room !== 'string' || typeof frame.text !== 'string') return refuse('bad_request', 'room and text required', cid);
      if (frame.text.length > MAX_TEXT) return refuse('too_large', 'text too long', cid);
      if (!socket.rooms.has(room)) return refuse('not_joined', 'join the room first', cid);
      const seq = (seqs.get(room) || 0) + 1;
      seqs.set(room, seq);
      const ts = Date.now();
      io.to(room).emit('message', { room, seq, origin: nodeId, from: socket.data.user, text: frame.text, ts, cid });
      socket.emit('ack', { cid, room, seq, origin: nodeId, ts });
    });
  });

  server.listen(port, '127.0.0.1', () => console.log(`socket.io peer ${nodeId} on 127.0.0.1:${port}, redis ${redisUrl}`));
  const stop = () => {
    io.close();
    Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
