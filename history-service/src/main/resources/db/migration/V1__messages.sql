-- Every stored chat message. The primary key makes ingest idempotent (insert ... on conflict do
-- nothing) and is the (room, seq) index that keyset paging in the replay API walks.
create table messages (
    room   text   not null,
    seq    bigint not null,
    sender text   not null,
    text   text   not null,
    ts     bigint not null,
    cid    text,
    primary key (room, seq)
);
