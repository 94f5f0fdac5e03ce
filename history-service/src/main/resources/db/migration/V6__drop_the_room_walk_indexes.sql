-- The indexes GET /users/me/rooms walked until V5 made a user's rooms their memberships. V5's release kept them for the
-- replicas of the version before it, which still walked during a rolling upgrade. Nothing reads them since, and together
-- they cost PostgreSQL about 3.8 µs per stored message. Dropped CONCURRENTLY so ingest and replay are never blocked behind
-- the drop; Flyway runs a script of only such statements outside a transaction (see FlywayLocking).
drop index concurrently if exists messages_sender_room_seq;
drop index concurrently if exists messages_dm_lower;
drop index concurrently if exists messages_dm_higher;
