package dev.chat.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** All gateway settings in one place; every key can be overridden by a CHAT_... environment variable. */
@ConfigMapping(prefix = "chat")
public interface GatewayConfig {

    /** Name of this gateway instance, sent in {@code welcome}; defaults to the host name. */
    Optional<String> nodeId();

    Limits limits();

    RecentLog log();

    Replay replay();

    interface Replay {
        /**
         * Messages per chunk of an in-band replay (join with {@code since}, or a member catching up); the
         * next chunk is read once the previous one reached the socket. Keep it well below the outbound limit.
         */
        @WithDefault("50")
        int chunk();
    }

    /** Idempotency window for {@code send} with a {@code cid}. */
    @WithDefault("5M")
    Duration idempotencyWindow();

    /**
     * A Redis connection whose sent data stays unacknowledged this long is closed (TCP user timeout, epoll transport),
     * failing the commands that wait on it; read by chat-common's {@code RedisDeployment}, declared here so it can be set
     * like any other key.
     */
    @WithDefault("30S")
    Duration redisTcpUserTimeout();

    Subscriber subscriber();

    Presence presence();

    FanOut fanOut();

    interface FanOut {
        /**
         * Least time between two writes of one room's frames to a member. 0 (the default): every frame goes out at the
         * end of the event-loop turn that read it. Above 0, a room's frames that arrive sooner than this after the
         * last such write wait for the interval's end and leave together, one socket write per member for all of them
         * (Centrifugo's write delay, bounded per room): in a busy room each member costs fewer system calls, for up to
         * this much more latency. A frame into a room quiet for longer goes out at once. At most 5s; give a unit (a bare
         * number is seconds). The fan-out latency metric includes the wait; a drain writes a connection's waiting frames
         * before its {@code reconnect}.
         */
        @WithDefault("0")
        Duration writeInterval();
    }

    Events events();

    Direct direct();

    interface Direct {
        /**
         * How long a user's index of direct-message rooms remembers a room after its last message. After the
         * subscriber was cut off, the rooms of each connected user with a message since that user connected are
         * read from it (to fill what was missed), so it only has to outlast the longest cut-off.
         */
        @WithDefault("24H")
        Duration indexRetention();
    }

    /**
     * Origins (scheme://host[:port]) allowed to open browser WebSocket connections. Unset: only the
     * gateway's own origin (the Host header). Upgrades without an Origin header (non-browser clients) are allowed.
     */
    java.util.Optional<java.util.List<String>> allowedOrigins();

    DevLogin devLogin();

    interface DevLogin {
        /** POST /dev/login issues tokens for any user name: local development only, refused in production. */
        @WithDefault("false")
        boolean enabled();
    }

    /**
     * WebSocket upgrades' tokens are verified by the lean verifier first when the token configuration allows it
     * ({@code auth.LeanTokenVerifier}); {@code false} leaves every token to smallrye-jwt.
     */
    @WithDefault("true")
    boolean leanUpgradeTokens();

    /** Role (from the token's groups claim; see smallrye.jwt.path.groups) that may use the server publish API. */
    @WithDefault("chat-service")
    String serviceRole();

    Activity activity();

    interface Activity {
        /** Joins and read positions are written to the activity stream once per this interval, coalesced per user and room. */
        @WithDefault("1S")
        Duration flushInterval();

        /** Distinct (user, room) entries waiting for a flush; beyond it a {@code read} is refused with {@code unavailable}. */
        @WithDefault("100000")
        int maxPending();
    }

    /** Redis Stream of joins and read markers that the history service consumes. */
    @WithDefault("chat:activity")
    String activityStream();

    /** A connection's typing signals per room are passed on at most once per this interval (the rest carry no news). */
    @WithDefault("2S")
    Duration typingInterval();

    interface Presence {
        /** How long a gateway's presence entries live without a heartbeat: bounds how long a crashed gateway's users linger. */
        @WithDefault("30S")
        Duration ttl();

        @WithDefault("10S")
        Duration heartbeatInterval();

        /**
         * Presence changes (joins, leaves, online status) are written to Redis and announced once per this
         * interval, per room: each member gets a bounded number of presence frames per interval, whatever the join rate.
         */
        @WithDefault("200MS")
        Duration batchInterval();

        /** Up to this many changes of a room in one interval go out as single presence.join/leave frames; more as one presence list. */
        @WithDefault("8")
        int batchEvents();

        /**
         * After a flush that announced more than batch-events changes of a room (a join or leave storm: each member
         * got the room's full list), that room's next changes wait this long, so a storm costs each member one list
         * per churn interval instead of one per batch interval. A room that announces in two flushes in a row (users
         * trickling in) waits this long too. Quiet rooms keep the batch interval; 0 (or no more than the batch
         * interval) turns holds off. The hold is the room's, kept in Redis: it holds every gateway's announcements.
         */
        @WithDefault("1S")
        Duration churnInterval();

        /** While a storm goes on, each hold doubles the last, up to this: a long storm costs each member ever fewer lists. */
        @WithDefault("4S")
        Duration churnIntervalMax();

        /**
         * A full list of n users holds the room's next announcement for at least n / this seconds (while holds are on):
         * a member of a big room gets about this many user ids a second of lists at most, however the room churns (a
         * room of 10,000 a list every 10 s at most, instead of 150 KB to every member every 4 s). Smaller rooms keep
         * the churn intervals. 0: no such floor.
         */
        @WithDefault("1000")
        int listUsersPerSecond();

        /** Script calls per Redis pipeline of presence work (one pooled connection, one round trip each). */
        @WithDefault("256")
        int batchSize();

        /**
         * Once the gateway's Redis subscriber reconnected, the members of each room with at most this many users get
         * the room's list: the announcements published while it was cut off never reached them. Members of bigger
         * rooms are not sent their whole list at once (it would be this many user ids and more to each); they ask
         * {@code presence}. 0: no lists.
         */
        @WithDefault("1000")
        int listAfterReconnectMaxUsers();
    }

    Replication replication();

    interface Replication {
        /**
         * Replicas that must hold a message before it is acknowledged (WAIT after the publish script, on the same
         * connection). 0 acknowledges once the primary has it: a failover to a replica that missed the last writes
         * could then lose acknowledged messages and hand out their seq again. Set 1 where the Redis primary (or
         * every master of a Redis Cluster) has a replica; a primary without a live replica then refuses sends as
         * unavailable until one is back (as Redis's own min-replicas-to-write would).
         */
        @WithDefault("0")
        int acks();

        /** How long a send waits for those replicas; past it the send is answered unavailable (resend with the same cid). */
        @WithDefault("500MS")
        Duration timeout();
    }

    interface Events {
        /** Redis Stream that offline events (dm.offline, user.offline) are appended to. */
        @WithDefault("chat:events")
        String stream();

        @WithDefault("100000")
        int maxLength();
    }

    /**
     * On shutdown, how long the gateway reports not ready and refuses new upgrades before it tells the first client to
     * reconnect: a load balancer that polls readiness stops sending new clients here, so those told go elsewhere.
     */
    @WithDefault("2S")
    Duration drainNotice();

    /** On shutdown, how long clients get to finish in-flight frames before their connections are cut. */
    @WithDefault("10S")
    Duration drainTimeout();

    /**
     * Share of the drain timeout over which {@code reconnect} frames are spread, in batches, so the
     * remaining gateways do not get every client of a draining one in the same instant; 0 tells all at once.
     */
    @WithDefault("0.8")
    double drainSpread();

    /** How often each local room's head in Redis is compared with what was delivered, to catch a lost tail. */
    @WithDefault("5S")
    Duration positionCheckInterval();

    interface Limits {
        /** Read by connection.SocketCap too, which works out the socket cap before this mapping exists. */
        String DEFAULT_MAX_CONNECTIONS = "50000";

        /** Frames above this many bytes are refused with {@code too_large} (the connection stays open). */
        @WithDefault("65536")
        int frameBytes();

        /** Longest message text, in characters. */
        @WithDefault("4000")
        int textChars();

        /**
         * Direct-message rooms a connected user's order is kept for on a gateway: past it the least recently active
         * room with nothing pending is set aside, only its last delivered seq remembered, and picked up from there by
         * its next message. Without it a user messaging ever new users grew the gateway's memory for as long as they
         * stayed connected.
         */
        @WithDefault("64")
        int directRoomsOrdered();

        /**
         * Set-aside direct-message rooms whose last delivered seq a connected user's gateway remembers; past it the
         * oldest is forgotten, and a forgotten room's next message starts it after what was published until then.
         */
        @WithDefault("1024")
        int directRoomsRemembered();

        /**
         * How long a frame's Redis work (a send on the pool, a presence query, typing, a read position) may go
         * unanswered before the frame is answered {@code unavailable}: the reactive Redis client has no deadline of its
         * own, and a stalled or black-holed connection to Redis must not hold the connection's later frames forever.
         * Joins have their own bounds (the subscription's, the position pipeline's).
         */
        @WithDefault("10S")
        Duration answerTimeout();

        /** Rooms one connection may be joined to at once. */
        @WithDefault("100")
        int roomsPerConnection();

        /**
         * Open connections one gateway accepts; beyond it, upgrades are refused with 503 (clients try another gateway).
         * The public port's sockets of any kind are capped a little above it ({@code connection.SocketCap}).
         */
        @WithDefault(DEFAULT_MAX_CONNECTIONS)
        int maxConnections();

        /** Open connections one user may have on one gateway. */
        @WithDefault("20")
        int connectionsPerUser();

        /**
         * Connections one user may open per second on one gateway, kept across reconnects: each opening and closing costs
         * Redis a subscription and two scripts and adds an offline event, so a client in a connect loop (one did 778 a
         * second) would load Redis for everyone.
         */
        @WithDefault("10")
        double connectsPerSecond();

        /** Connections one user may open at once before {@link #connectsPerSecond} applies (a reconnect of every tab). */
        @WithDefault("50")
        int connectBurst();

        /** Sustained messages (send) per second per connection; bursts up to message-burst. */
        @WithDefault("10")
        double messagesPerSecond();

        @WithDefault("20")
        int messageBurst();

        /** Sustained messages per second per user over all their connections on a gateway. */
        @WithDefault("20")
        double userMessagesPerSecond();

        @WithDefault("40")
        int userMessageBurst();

        /** Sustained joins per second per connection; bursts up to join-burst. */
        @WithDefault("5")
        double joinsPerSecond();

        @WithDefault("30")
        int joinBurst();

        /** Sustained leave frames per second per connection; bursts up to leave-burst. */
        @WithDefault("5")
        double leavesPerSecond();

        @WithDefault("30")
        int leaveBurst();

        /** Sustained read markers per second per connection (a reconnecting client sends one per room). */
        @WithDefault("10")
        double readsPerSecond();

        @WithDefault("200")
        int readBurst();

        /** Sustained presence queries per second per connection. */
        @WithDefault("2")
        double presencePerSecond();

        @WithDefault("30")
        int presenceBurst();

        /** Sustained REST presence queries per second per caller (token subject), on each gateway. */
        @WithDefault("5")
        double restPerSecond();

        @WithDefault("30")
        int restBurst();

        /** Sustained typing frames per second per connection (what passes on to the room is limited by chat.typing-interval). */
        @WithDefault("5")
        double typingPerSecond();

        @WithDefault("30")
        int typingBurst();

        /** Sustained pings per second per connection (clients ping after ~20 s of silence). */
        @WithDefault("5")
        double pingsPerSecond();

        @WithDefault("30")
        int pingBurst();

        /**
         * Frames of one connection waiting to be handled (they are handled one at a time, in order) before
         * reading from its socket pauses; four times as many close it with 1008.
         */
        @WithDefault("32")
        int inboundFrames();

        /** Bytes of one connection's frames waiting to be handled before reading pauses; four times as many close it with 1008. */
        @WithDefault("262144")
        int inboundBytes();

        /** Refusals within a minute after which a connection counts as abusive and is closed with 1008. */
        @WithDefault("100")
        int abuseThreshold();

        /** A connection from which nothing (not even a pong) arrived for this long is closed. */
        @WithDefault("75S")
        Duration idleTimeout();

        /**
         * Longest a message sent in fragments may take from its first fragment to its last (1008 past it): an unfinished
         * one holds up to the message size of memory, and the pings its client answers keep it from the idle timeout.
         */
        @WithDefault("10S")
        Duration fragmentedMessageTimeout();

        /** How often connections are checked against the idle timeout. */
        @WithDefault("15S")
        Duration idleCheckInterval();

        /**
         * Each connection is pinged once per this interval (its pong counts as hearing from it), at a point of the
         * interval set by its id; 0 sends no pings. Keep it below the idle timeout and the load balancer's.
         */
        @WithDefault("25S")
        Duration pingInterval();

        /** Kernel send buffer per connection, in bytes (SO_SNDBUF). */
        @WithDefault("131072")
        int socketSendBuffer();

        /** Outbound frames written but not yet flushed to a client before it counts as too slow (1013). */
        @WithDefault("1000")
        int outboundQueue();

        /** Outbound bytes written but not yet flushed to a client before it counts as too slow (1013). */
        @WithDefault("1048576")
        int outboundBytes();

        /**
         * Kernel receive buffer per connection, in bytes (SO_RCVBUF): bounds what a flooding client parks in the kernel while
         * reading is paused. Vert.x also reads each socket into a buffer of this size; Netty's per-thread caches keep buffers
         * up to 32 KiB, so above that every read takes one from the shared pool, under its lock, and its chunks churn.
         */
        @WithDefault("32768")
        int socketReceiveBuffer();

        /**
         * A close frame waits behind every frame already written, so a client that stopped reading never gets it: once
         * a closing connection's unread bytes have not fallen for this long, its socket is cut and its buffers freed.
         */
        @WithDefault("5S")
        Duration closeStallTimeout();
    }

    interface RecentLog {
        /** Messages a room's recent log keeps at least. */
        @WithDefault("1000")
        int minEntries();

        /** Age a room's recent log keeps at least. */
        @WithDefault("10M")
        Duration minAge();

        /** Hard cap per room, so a long history outage cannot exhaust Redis memory. */
        @WithDefault("100000")
        int maxEntries();

        /** Keep entries the history service has not stored yet (up to max-entries), so a history outage loses nothing. */
        @WithDefault("true")
        boolean protectUnstored();

        /** Retention runs in the publish script once every this many messages of a room, not on every send. */
        @WithDefault("64")
        int trimInterval();
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

        /**
         * Run the publish script on the subscriber's connection (standalone Redis with RESP3), so Redis writes a
         * send's reply in the same write as the message it publishes to this gateway (8 % less of Redis's CPU per
         * send in the benchmark's S3). Off, or on a Redis Cluster, or with replication acks, sends use the pool.
         */
        @WithDefault("true")
        boolean carriesSends();

        /** How long a send on the subscriber's connection waits for its reply before it is answered unavailable. */
        @WithDefault("3S")
        Duration sendTimeout();

        /**
         * How long a send on the subscriber's connection waits for others to share its publish script call: Redis spends
         * more on entering and leaving the script than on a message, so a call of several costs each far less of Redis's
         * CPU. A send that comes when no call went within the linger goes at once (light traffic waits for nothing).
         * 0: only the sends that reach the subscriber's event loop in the same turn go together. At most 1s; give a
         * unit (a bare number is seconds). 4 ms: S3's Redis CPU per send 1.78x a plain PUBLISH (2.28x at 2 ms) on the
         * machine where the peer's PUBLISH was cheapest, for 1.3 ms more at p50 (BENCHMARKS.md, thirty-fifth session).
         */
        @WithDefault("4MS")
        Duration batchLinger();

        /** Most sends in one publish script call (1 to 256); a call that reaches it goes at once. */
        @WithDefault("32")
        int batchMax();
    }
}
