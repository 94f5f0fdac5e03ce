-- GET /users/me/rooms now reads one user's rows of room_members instead of walking every room they ever posted in
-- (one index probe per room: about 400 ms for a user of 50,000 rooms, and no bound). From this version on, ingest
-- writes the rooms a message's sender posted in, and a direct message's room for both participants, as memberships
-- in the same transaction as the message; the per-user bound (chat.activity.rooms-per-user) then covers them too.
-- The messages stored before are recorded here, each at its user's first message there. Rows in (user, room) order,
-- as every writer of room_members takes them, so a replica still running the previous version cannot deadlock it.
insert into room_members (user_id, room, joined_at)
select sender, room, min(ts) from messages group by sender, room
order by 1, 2
on conflict (user_id, room) do nothing;

insert into room_members (user_id, room, joined_at)
select p.participant, dm.room, dm.first_ts
from (select room, min(ts) as first_ts from messages where room like 'dm:%' group by room) dm
cross join lateral (values (split_part(dm.room, ':', 2)), (split_part(dm.room, ':', 3))) as p(participant)
order by 1, 2
on conflict (user_id, room) do nothing;

-- The indexes the walk used (messages_sender_room_seq, messages_dm_lower, messages_dm_higher) stay for one release:
-- a replica of the previous version, during a rolling upgrade, still runs the walk. The next release drops them.
