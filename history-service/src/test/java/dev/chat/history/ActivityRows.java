package dev.chat.history;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the activity tables hold for a user, read straight from PostgreSQL. */
final class ActivityRows {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ActivityRows() {
    }

    /** The membership rows' join times of the user and room (one at most). */
    static List<Long> joinedAt(Pool pool, String user, String room) {
        List<Long> rows = new ArrayList<>();
        for (Row row : pool.preparedQuery("select joined_at from room_members where user_id = $1 and room = $2")
                .execute(Tuple.of(user, room)).await().atMost(WAIT)) {
            rows.add(row.getLong(0));
        }
        return rows;
    }
}
