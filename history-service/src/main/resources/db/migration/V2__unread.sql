-- Who joined which room, from the gateway's join activity. The first join is kept; a replayed entry changes nothing.
create table room_members (
    user_id   text   not null,
    room      text   not null,
    joined_at bigint not null,
    primary key (user_id, room)
);

-- How far each user has read each room: the highest seq any of their devices reported (upserts keep the greatest).
create table read_markers (
    user_id    text   not null,
    room       text   not null,
    seq        bigint not null,
    updated_at bigint not null,
    primary key (user_id, room)
);

-- For GET /users/me/rooms. (sender, room) lists the rooms a user posted in with one index probe per room (a loose index
-- scan), and (sender, room, seq) counts their own messages past a read position, which unread leaves out. Both are
-- index-only scans, as is the count of all messages past the position on the (room, seq) primary key.
create index messages_sender_room_seq on messages (sender, room, seq);

-- The direct-message rooms of a user, found by either participant: an exact match on the part before or after the
-- middle colon of dm:<lower>:<higher>, never a substring. Partial: only direct messages are indexed.
create index messages_dm_lower on messages (split_part(room, ':', 2), room) where room like 'dm:%';
create index messages_dm_higher on messages (split_part(room, ':', 3), room) where room like 'dm:%';
