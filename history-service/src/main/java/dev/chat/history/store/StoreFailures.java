package dev.chat.history.store;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
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

    /**
     * A failure of the database or of the way to it, not of what was written: a connection exception (SQLSTATE class
     * 08), a rollback PostgreSQL asks to retry (40), too few resources (53), a cancel by an operator or the statement
     * timeout (57), a system error (58), a read-only standby after a failover (25006); or, with no SQLSTATE, a lost,
     * refused or timed-out connection or write. It says nothing about the message, so it never sets one aside. Any other
     * failure without a SQLSTATE (a fault of our own with one message) is not counted as passing.
     */
    public static boolean passing(Throwable failure) {
        String state = sqlState(failure);
        if (state != null) {
            return state.equals("25006") || state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57") || state.startsWith("58");
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException || t instanceof ClosedConnectionException || t instanceof TimeoutException
                    || t instanceof io.smallrye.mutiny.TimeoutException || t instanceof Timeout) {
                return true;
            }
        }
        return false;
    }

    /** A failure that is a timeout of ours (the writers' deadlines): passing, like a lost connection. */
    public interface Timeout {
    }

    /** The SQLSTATE nearest the top of the cause chain, or null when no cause carries one. */
    private static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PgException pg && pg.getSqlState() != null) {
                return pg.getSqlState();
            }
            if (t instanceof JDBCException jdbc && jdbc.getSQLState() != null) {
                return jdbc.getSQLState();
            }
        }
        return null;
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
