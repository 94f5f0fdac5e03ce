-- One row per room, kept by ingest in the same statement as the messages it inserts:
--   last_seq    the highest seq stored (re-seeding reads one row per room, not the messages table);
--   stored_seq  every seq up to here is stored or known lost (the replay API never pages past it, so a
--               page never has a hole that is filled later);
--   last_ts     the last stored message's time, epoch milliseconds like messages.ts.
create table rooms (
    room       text   primary key,
    last_seq   bigint not null default 0,
    stored_seq bigint not null default 0,
    last_ts    bigint not null default 0
);

-- Rooms stored before this migration: everything they hold was ingested in order, so it counts as contiguous.
insert into rooms (room, last_seq, stored_seq, last_ts)
select room, max(seq), max(seq), max(ts) from messages group by room;

-- Bounds: seq starts at 1; texts and names stay within what a gateway can accept (a frame is at most 64 KiB).
-- ts (and the other *_at columns) are epoch milliseconds, as the gateway's publish script assigns them.
alter table messages add constraint messages_seq_positive check (seq > 0);
alter table messages add constraint messages_text_bounded check (char_length(text) <= 65536);
alter table messages add constraint messages_names_bounded check (char_length(room) <= 200 and char_length(sender) <= 64
    and (cid is null or char_length(cid) <= 64));
