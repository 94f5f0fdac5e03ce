package dev.chat.history.store;

import io.vertx.pgclient.PgException;
import org.hibernate.JDBCException;

/** Tells the writers' retry loops which PostgreSQL failures are worth retrying, and how to log one briefly. */
public final class StoreFailures {

    private StoreFailures() {
    }

    /**
     * A data error (SQLSTATE class 22, e.g. a character PostgreSQL cannot store) or a constraint violation (class 23)
     * fails again on every retry; an outage, a timeout or anything else may pass.
     */
    public static boolean refusedForGood(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String state = null;
            if (t instanceof PgException pg) {
                state = pg.getSqlState();
            } else if (t instanceof JDBCException jdbc) {
                state = jdbc.getSQLState();
            }
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                return true;
            }
        }
        return false;
    }

    /** The innermost cause, short: the outer Hibernate message repeats the whole multi-row statement. */
    public static String reason(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getName() : root.getMessage();
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
