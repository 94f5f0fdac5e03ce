-- For retention (chat.retention.max-age): deleting the oldest messages in small batches finds them by ts.
-- Built CONCURRENTLY so an existing, large messages table keeps taking writes meanwhile. Flyway runs a
-- script whose only statement is CREATE INDEX CONCURRENTLY outside a transaction by itself; every future
-- index goes in a migration of its own, the same way (see FlywayLocking for the lock setting this needs).
create index concurrently if not exists messages_ts on messages (ts);
