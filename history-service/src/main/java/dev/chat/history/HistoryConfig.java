package dev.chat.history;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** All history settings in one place; every key can be overridden by a CHAT_... environment variable. */
@ConfigMapping(prefix = "chat")
public interface HistoryConfig {

    Ingest ingest();

    Reseed reseed();

    Subscriber subscriber();

    Activity activity();

    Retention retention();

    Unread unread();

    Api api();

    /**
     * How long a send with a {@code cid} is remembered (the gateway's {@code chat.idempotency-window}): after Redis lost its
     * data, re-seeding restores the records of the messages stored within it.
     */
    @WithDefault("5M")
    Duration idempotencyWindow();

    /**
     * A PostgreSQL connection whose sent data stays unacknowledged this long is closed (TCP user timeout, epoll
     * transport), so a connection that died without a word (a failover, a dropped route) fails its query and leaves the
     * pool, instead of staying checked out for the kernel's 15 minutes of retries after a timed-out write gave up on it.
     */
    @WithDefault("30S")
    Duration databaseTcpUserTimeout();

    /**
     * A Redis connection whose sent data stays unacknowledged this long is closed (TCP user timeout, epoll transport),
     * failing the commands that wait on it; read by chat-common's {@code RedisDeployment}, declared here so it can be set
     * like any other key.
     */
    @WithDefault("30S")
    Duration redisTcpUserTimeout();

    interface Ingest {
        /** Most messages written to PostgreSQL in one statement (500: at 2,000 msg/s fewer, larger statements keep the lag low). */
        @WithDefault("500")
        int batchSize();

        /**
         * How long a statement waits for more messages when fewer than a batch are queued. Every statement costs
         * history and PostgreSQL the same fixed work whatever it holds: without a wait, 2,000 msg/s went out in
         * statements of a handful of messages. Adds at most this to the ingest lag; 0 writes at once.
         */
        @WithDefault("50MS")
        Duration batchLinger();

        /**
         * How long one write may go unanswered before it counts as failed and is retried. PostgreSQL's statement timeout
         * (15 s) ends a slow statement; this ends one whose connection died without a word (a failover, a dropped
         * route), which nothing else would, and which held ingest, reported healthy, for good.
         */
        @WithDefault("30S")
        Duration writeTimeout();

        /**
         * Messages held in memory while PostgreSQL is slow or down. Beyond it new messages are dropped
         * from memory only: they stay in the room's recent log (the gateway keeps what history has not
         * stored) and the sweep reads them back once the database recovers.
         */
        @WithDefault("100000")
        int maxPending();

        /**
         * The same queue's bound in bytes (a message counted as its strings at two bytes a character, plus
         * {@code IngestWriter.OVERHEAD_BYTES}): 100,000 messages of the largest text a gateway accepts would not fit a
         * 256 MB heap. Beyond it, as beyond max-pending.
         */
        @WithDefault("64M")
        MemorySize maxPendingBytes();

        /** Entries read from a room's recent log per XRANGE. */
        @WithDefault("500")
        int backfillChunk();

        /** How often rooms with gaps are repaired from the recent log and stored positions re-sent. */
        @WithDefault("5S")
        Duration sweepInterval();

        /** First delay before retrying a failed database write; doubles up to max-retry-backoff. */
        @WithDefault("100MS")
        Duration minRetryBackoff();

        @WithDefault("5S")
        Duration maxRetryBackoff();

        /** A caught-up room with no traffic for this long is forgotten (it is re-learned from Redis on its next message). */
        @WithDefault("10M")
        Duration idleRoom();

        /**
         * How often stored positions that moved are published (to Redis, where the gateway trims the recent log up to
         * them, and to PostgreSQL, where the replay API stops at them).
         */
        @WithDefault("500MS")
        Duration positionInterval();

        /**
         * A batch that failed this many times for a reason that is not a data error is written one message per
         * statement; a message that still fails alone while other writes succeed goes to the dead-letter stream.
         */
        @WithDefault("3")
        int splitAfter();

        /** The Redis stream that keeps messages ingest could not store, with the reason. */
        @WithDefault("chat:history:dead-letter")
        String deadLetterStream();

        /** Entries the dead-letter stream keeps at most (approximately: MAXLEN ~). */
        @WithDefault("10000")
        int deadLetterMaxLength();
    }

    interface Retention {
        /** Stored messages older than this are deleted; unset (the default) keeps everything forever. */
        Optional<Duration> maxAge();

        /** Messages deleted per statement, so retention never holds long locks or bloats one transaction. */
        @WithDefault("1000")
        int batchSize();

        /** How often retention runs (each run deletes batch after batch until nothing is older than max-age). */
        @WithDefault("1H")
        Duration interval();
    }

    interface Unread {
        /** Unread counts stop at this many messages per room (the answer says {@code unreadCapped}), so a count costs O(rooms). */
        @WithDefault("999")
        int cap();
    }

    /**
     * Bounds on the REST API's reads. They share the database pool with ingest, and each answer is held, up to megabytes,
     * until its client takes it: without bounds, 32 parallel calls made a replay wait 3.2 s, and 60 clients that asked for
     * a large page and never read ran the service's direct memory out.
     */
    interface Api {
        /** Queries of the REST API running at once; ingest keeps the rest of the pool ({@code quarkus.datasource.reactive.max-size}). */
        @WithDefault("8")
        int concurrentQueries();

        /** Queries waiting for one of those; a request past them is answered 503 at once instead of waiting without bound. */
        @WithDefault("64")
        int queuedQueries();

        /**
         * One user's requests in flight: running, waiting, or answered and not yet taken by the client. Past them 429, so
         * that one client's loop cannot take the queue from everyone, nor one client that never reads the answer budget
         * (two of the largest pages, about 12 MB each, stay below it).
         */
        @WithDefault("2")
        int queriesPerUser();

        /**
         * Bytes of answers written but not yet taken by their clients' sockets. A request runs only while the largest
         * answer it can get still fits beside them (503 otherwise): a replay page can be megabytes (500 messages of 4,000
         * characters, escaped), held for as long as its client does not read it, and small pages keep being served while
         * large unread ones hold most of the budget.
         */
        @WithDefault("32M")
        MemorySize unflushedBytes();

        /**
         * Kernel send buffer of each connection of the public port (SO_SNDBUF; Linux doubles it). What a client does not
         * read stays in the service, counted above, instead of in kernel memory nothing counts. At 128 KiB a connection
         * still carries over 1 MB/s at 100 ms of round trip.
         */
        @WithDefault("128K")
        MemorySize socketSendBuffer();
    }

    interface Reseed {
        /** How often to check that Redis still holds its generation marker. */
        @WithDefault("5S")
        Duration interval();

        /** Rooms read from PostgreSQL per query while re-seeding. */
        @WithDefault("500")
        int pageSize();
    }

    interface Subscriber {
        /** First delay before re-opening a dropped Redis subscriber connection; doubles up to max-backoff. */
        @WithDefault("100MS")
        Duration minBackoff();

        @WithDefault("5S")
        Duration maxBackoff();

        /**
         * A subscriber connection on which Redis sent nothing for this long is pinged, and given up and re-opened when
         * the next interval brings nothing either: a connection left half-open (a NAT or load balancer dropped it)
         * would otherwise keep its rooms silent without a single error.
         */
        @WithDefault("5S")
        Duration pingInterval();
    }

    interface Activity {
        /** The Redis Stream the gateways append joins and read positions to (the gateway's {@code chat.activity-stream}). */
        @WithDefault("chat:activity")
        String stream();

        /** The consumer group all history instances share, so each entry is stored by one of them. */
        @WithDefault("history")
        String group();

        /**
         * This instance's consumer name in the group; defaults to the host name (the pod name on Kubernetes), so a
         * restarted instance with the same name picks up what it had received but not acknowledged.
         */
        Optional<String> consumer();

        /** Most entries read (and stored in one transaction) at a time. */
        @WithDefault("100")
        int batchSize();

        /** How long one XREADGROUP waits inside Redis for new entries. */
        @WithDefault("2S")
        Duration block();

        /** An entry another consumer received this long ago and never acknowledged is taken over (XAUTOCLAIM). */
        @WithDefault("60S")
        Duration claimIdle();

        /** How often to look for such entries (and once at every (re)connect). */
        @WithDefault("30S")
        Duration claimInterval();

        /** First delay before retrying a failed database write or Redis connection; doubles up to max-retry-backoff. */
        @WithDefault("100MS")
        Duration minRetryBackoff();

        @WithDefault("5S")
        Duration maxRetryBackoff();

        /**
         * Rooms kept per user in each of the membership and read-position tables (GET /users/me/rooms): past a tenth
         * more, the rooms a user was active in longest ago are deleted down to this (ActivityWriter). Bounds what a client
         * that joins or marks ever new room names makes PostgreSQL keep. 0: no bound.
         */
        @WithDefault("10000")
        int roomsPerUser();

        /**
         * At most this often (per instance), the users stored since the last check are checked against rooms-per-user,
         * in one statement after the next batch: ordinary batches pay nothing for the bound. 0: after every batch.
         */
        @WithDefault("10S")
        Duration trimInterval();

        /** Another consumer of the group idle this long with nothing pending is removed (XGROUP DELCONSUMER). */
        @WithDefault("24H")
        Duration staleConsumerIdle();
    }
}
