package dev.chat.common.redis;

import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import io.vertx.redis.client.impl.CommandImpl;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Channels subscribed on as few connections as the deployment allows: one connection (SUBSCRIBE) to a
 * standalone Redis; on a Redis Cluster one connection per master (SSUBSCRIBE, sharded Pub/Sub), each
 * channel on the master that owns its slot. Channels come and go as callers ask (not one connection per
 * channel).
 *
 * <p>The connections live and die together, as one session: when any of them drops, when Redis answers
 * a subscription with a redirect, or when it pushes {@code sunsubscribe} for a channel still wanted (its
 * slot moved to another master, or the master became a replica), the session is closed, the slot owners
 * are read again and every channel is subscribed anew on a new session. Once every channel is confirmed
 * the {@link #onReconnect} handlers run, so callers can fill from their logs what the gap may have cost.
 * Slot moves and failovers are rare; one simple path for all of them is worth a full re-subscribe.
 *
 * <p>All state is confined to one Vert.x context, so SUBSCRIBE and UNSUBSCRIBE for a channel reach Redis
 * in the order they were asked for, and messages are dispatched in the order Redis sent them.
 */
public final class ChannelSubscriber {

    /**
     * Channels per SUBSCRIBE or UNSUBSCRIBE a standalone session writes: when it re-subscribes, and for the changes asked
     * for together (sharded channels go one per command: a command's channels must share a slot).
     */
    private static final int CHANNELS_PER_COMMAND = 500;
    /** Calls on the subscriber's connection waiting for their replies; beyond it a caller uses its pool. */
    private static final int MAX_CALLS_IN_FLIGHT = 4096;
    /**
     * How the Vert.x client is told not to wait for a call's reply itself: a command marked pub/sub gets no
     * entry in the connection's reply queue, so its reply reaches {@link #dispatch} like a push. The 4.5
     * client cannot be given the reply otherwise: it takes the oldest waiting request off its queue before
     * it looks whether what arrived is a push, so a message pushed while a command waits would take that
     * command's reply.
     */
    private static final Map<String, CommandImpl> UNQUEUED = new ConcurrentHashMap<>();

    private final Vertx vertx;
    private final RedisDeployment deployment;
    private final String clientName;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Duration pingInterval;
    private final boolean sharded;

    private final Map<String, BiConsumer<String, String>> routes = new ConcurrentHashMap<>();
    private final List<Runnable> onReconnect = new CopyOnWriteArrayList<>();
    private final List<Consumer<Boolean>> onSubscribed = new CopyOnWriteArrayList<>();

    // Confined to `context`.
    private Context context;
    private final Set<String> channels = new HashSet<>();
    /** Subscriptions asked for and not yet confirmed by Redis. */
    private final Map<String, List<Promise<Void>>> unconfirmed = new HashMap<>();
    /** On a new session: channels subscribed and not yet confirmed. */
    private final Set<String> resubscribing = new HashSet<>();
    /** Our own SUNSUBSCRIBEs whose reply is still to come, so the reply is not taken for a slot move. */
    private final Map<String, Integer> leaving = new HashMap<>();
    /** On the current session: per channel, the (S)SUBSCRIBE confirmations still to come, one per channel a command named. */
    private final Map<String, Integer> owed = new HashMap<>();
    /**
     * Of those, the oldest ones that an unsubscribe of the channel came after: they confirm nothing now. Without this, a
     * channel left and asked for again before Redis answered would count as subscribed at the first SUBSCRIBE's answer,
     * before Redis ran the second (a member told {@code joined} while Redis delivered the room to nobody here).
     */
    private final Map<String, Integer> stale = new HashMap<>();
    /** Calls on the connection, oldest first: Redis answers in order, and each reply ends with its call's tag. */
    private final ArrayDeque<Call> calls = new ArrayDeque<>();
    /**
     * Standalone: the SUBSCRIBE and UNSUBSCRIBE commands written on the current session that Redis has not answered in
     * full, oldest first. Redis answers in order, so an error reply belongs to the oldest of them when it was written
     * before the oldest call waiting (a SUBSCRIBE an ACL refuses), and to that call otherwise.
     */
    private final ArrayDeque<SubscriptionCommand> unanswered = new ArrayDeque<>();
    /** Calls written so far: orders each call against the subscription commands written around it. */
    private long callsWritten;
    /** The one timer that fails calls past their deadline (-1: none armed), instead of a timer per call. */
    private long callTimer = -1;
    private Session session;
    private List<String> knownMasters = List.of();
    private long backoffMs;
    private long sessions;
    private boolean stopped;

    private volatile boolean up;
    /** RESP3 seen (a push) on an up standalone session: calls may go on the connection. */
    private volatile boolean callable;
    private volatile int channelCount;

    /** {@code pingInterval}: how long a quiet connection goes before it is pinged, and then before it is given up ({@link HalfOpenCheck}). */
    public ChannelSubscriber(Vertx vertx, RedisDeployment deployment, String clientName, Duration minBackoff, Duration maxBackoff,
            Duration pingInterval) {
        this.vertx = vertx;
        this.deployment = deployment;
        this.sharded = deployment.cluster();
        this.clientName = clientName.replaceAll("[^A-Za-z0-9_.-]", "_");
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.pingInterval = pingInterval;
    }

    /** Opens the first session on {@code context}. */
    public void start(Context context) {
        this.context = context;
        backoffMs = minBackoff.toMillis();
        context.runOnContext(v -> open());
    }

    public void stop() {
        if (context == null) {
            return;
        }
        context.runOnContext(v -> {
            stopped = true;
            up = false;
            callable = false;
            failCalls("the Redis subscriber stopped");
            if (session != null) {
                session.close();
                session = null;
            }
        });
    }

    /** Sends every (channel, payload) of channels starting with {@code prefix} to the handler, on this subscriber's context, in Redis order. */
    public void route(String prefix, BiConsumer<String, String> handler) {
        routes.put(prefix, handler);
    }

    /** Sets what runs after a new session holds every channel again (messages may have been missed in between). */
    public void onReconnect(Runnable handler) {
        onReconnect.add(handler);
    }

    /** Sets what runs each time a session holds every channel: first at start ({@code false}), then after each re-open ({@code true}). */
    public void onSubscribed(Consumer<Boolean> handler) {
        onSubscribed.add(handler);
    }

    /** Runs a task on the subscriber's context, in order with message dispatch. */
    public void runOnContext(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    /** Whether the connections are open and hold every channel they should. */
    public boolean isUp() {
        return up;
    }

    /** How many channels are held (or about to be). */
    public int channelCount() {
        return channelCount;
    }

    public String clientName() {
        return clientName;
    }

    /** Whether {@link #call} can run now: a standalone Redis speaking RESP3, every channel held. */
    public boolean canCall() {
        return callable;
    }

    /**
     * Runs a command on the subscriber's own connection instead of a pooled one, so that Redis writes its
     * reply together with what the command publishes to this connection's channels: one socket write
     * instead of two (a send's reply and its message). Only on a
     * standalone Redis speaking RESP3 (where one connection may subscribe and run commands); fails at once
     * otherwise, or when {@link #MAX_CALLS_IN_FLIGHT} calls wait, and the caller uses its pool.
     *
     * <p>The reply must be an array that ends with {@code tag}, unique per call: replies are matched to calls
     * in order, and the tag proves the match. An error reply is the oldest call's unless a subscription command
     * written before that call is still to be answered (an ACL refusal of a SUBSCRIBE: the session is then re-opened,
     * and the calls fail with {@link CallLost}). A call that fails may still have been carried out: callers retry only
     * what is idempotent.
     * Unanswered within {@code timeout}, it fails with {@link CallTimedOut}; a late reply is then dropped.
     */
    public Future<Response> call(List<String> command, String tag, Duration timeout) {
        Promise<Response> reply = Promise.promise();
        Request request = Request.cmd(UNQUEUED.computeIfAbsent(command.get(0), ChannelSubscriber::unqueued));
        for (int i = 1; i < command.size(); i++) {
            request.arg(command.get(i));
        }
        context.runOnContext(v -> {
            Session.Link link = session == null || !callable ? null : session.standaloneLink();
            if (link == null || link.connection == null || calls.size() >= MAX_CALLS_IN_FLIGHT) {
                reply.tryFail(new CallRefused());
                return;
            }
            link.writeUnwritten();
            calls.add(new Call(tag, reply, System.nanoTime() + timeout.toNanos(), ++callsWritten));
            link.send(request);
            armCallTimer();
        });
        return reply.future();
    }

    /** {@link #call} could not send: use another connection. Nothing was sent. */
    public static final class CallRefused extends RuntimeException {
        CallRefused() {
            super("the subscriber's connection takes no calls now", null, false, false);
        }
    }

    /** A command the Vert.x client keeps no reply slot for (see {@link #UNQUEUED}); its reply reaches the connection's handler. */
    static CommandImpl unqueued(String name) {
        // Arity -2: a name and at least one argument; read-only unknown; pub/sub; no key extraction.
        return new CommandImpl(name.toLowerCase(java.util.Locale.ROOT), -2, null, true, false);
    }

    /** {@link #call} got no reply in time. It may still be carried out. */
    public static final class CallTimedOut extends RuntimeException {
        CallTimedOut() {
            super("Redis did not answer in time", null, false, false);
        }
    }

    /** The connection went away while {@link #call} waited for its reply. The call may or may not have been carried out. */
    public static final class CallLost extends RuntimeException {
        CallLost(String why) {
            super(why, null, false, false);
        }
    }

    /** {@code deadline} in {@link System#nanoTime()}; {@code number}: the how-manieth call written (see {@link #callsWritten}). */
    private record Call(String tag, Promise<Response> reply, long deadline, long number) {}

    /** A (UN)SUBSCRIBE written: one answer per channel it names, or one error for all; {@code callsBefore} calls were written before it. */
    private static final class SubscriptionCommand {
        final long callsBefore;
        int answersToCome;

        SubscriptionCommand(int channels, long callsBefore) {
            this.callsBefore = callsBefore;
            this.answersToCome = channels;
        }
    }

    /**
     * Arms the call timer for the earliest deadline of a call still waiting. One timer for all calls, re-armed when
     * it fires: a timeout per call would put a scheduled task per send on a shared executor.
     */
    private void armCallTimer() {
        if (callTimer != -1) {
            return;
        }
        long earliest = Long.MAX_VALUE;
        for (Call call : calls) {
            if (!call.reply.future().isComplete()) {
                earliest = Math.min(earliest, call.deadline);
            }
        }
        if (earliest == Long.MAX_VALUE) {
            return;
        }
        long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(earliest - System.nanoTime()) + 1);
        // Set on the context, so the timer fires on it.
        callTimer = vertx.setTimer(delayMs, id -> {
            callTimer = -1;
            long now = System.nanoTime();
            // Timed-out calls stay queued: their replies, should they come, must still be matched and dropped.
            for (Call call : calls) {
                if (call.deadline - now <= 0) {
                    call.reply.tryFail(new CallTimedOut());
                }
            }
            armCallTimer();
        });
    }

    /** A reply (not a push) on the connection: the oldest call's, checked by its tag. */
    private void replied(Response reply) {
        if (reply.type() == ResponseType.ERROR) {
            Call oldest = calls.poll();
            if (oldest != null) {
                oldest.reply.tryFail(reply.toString());
            }
            return;
        }
        String tag = reply.size() == 0 ? null : String.valueOf(reply.get(reply.size() - 1));
        while (!calls.isEmpty()) {
            Call oldest = calls.poll();
            if (oldest.tag.equals(tag)) {
                oldest.reply.tryComplete(reply);
                return;
            }
            // Not this call's reply, so an earlier reply was taken for this call's (what counting the subscription commands
            // rules out, unless Redis answers something unforeseen): fail it rather than hand it another call's reply.
            oldest.reply.tryFail("its reply was taken by an earlier call's; retry");
        }
        Log.warnf("Redis subscriber %s got a reply no call waits for: %s", clientName, reply);
    }

    private void failCalls(String why) {
        if (callTimer != -1) {
            vertx.cancelTimer(callTimer);
            callTimer = -1;
        }
        Call call;
        while ((call = calls.poll()) != null) {
            call.reply.tryFail(new CallLost(why));
        }
    }

    /**
     * Completes once Redis confirmed the subscription: the {@code subscribe} reply pushed on the
     * connection, not the write of the command (the Vert.x client completes a SUBSCRIBE's future as
     * soon as it is written). Waits across a new session if the connections are down.
     */
    public Future<Void> subscribe(String channel) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            channels.add(channel);
            channelCount = channels.size();
            unconfirmed.computeIfAbsent(channel, c -> new ArrayList<>()).add(done);
            if (session != null) {
                session.subscribe(channel);
            }
        });
        return done.future();
    }

    /**
     * Drops a channel; a subscription still waiting for its confirmation fails with what {@code whyUnconfirmed}
     * makes of the reason (the caller's "try again" error).
     */
    public void unsubscribe(String channel, Function<String, ? extends RuntimeException> whyUnconfirmed) {
        context.runOnContext(v -> {
            channels.remove(channel);
            channelCount = channels.size();
            if (resubscribing.remove(channel) && resubscribing.isEmpty() && session != null && session.allOpen() && !up) {
                resubscribed();
            }
            List<Promise<Void>> waiting = unconfirmed.remove(channel);
            if (waiting != null) {
                RuntimeException failure = whyUnconfirmed.apply("left before Redis confirmed the subscription");
                waiting.forEach(p -> p.tryFail(failure));
            }
            if (session != null) {
                session.unsubscribe(channel);
            }
        });
    }

    private void open() {
        if (stopped) {
            return;
        }
        if (!sharded) {
            begin(new Session(null));
            return;
        }
        List<String> ask = new ArrayList<>(deployment.hosts());
        ask.addAll(knownMasters);
        ClusterSlots.read(vertx, deployment, ask).onComplete(ar -> context.runOnContext(v -> {
            if (stopped) {
                return;
            }
            if (ar.failed()) {
                Log.warnf("Reading the Redis Cluster's slots for %s failed (%s); retrying in %d ms", clientName, ar.cause().getMessage(), backoffMs);
                retryLater();
                return;
            }
            knownMasters = List.copyOf(ar.result().masters());
            begin(new Session(ar.result()));
        }));
    }

    private void begin(Session next) {
        session = next;
        resubscribing.clear();
        resubscribing.addAll(channels);
        forgetOwedReplies();
        next.openAll();
    }

    /** Every channel is confirmed on the (new) session. */
    private void resubscribed() {
        up = true;
        backoffMs = minBackoff.toMillis();
        boolean reopened = sessions++ > 0;
        if (reopened) {
            Log.infof("Redis subscriber %s re-opened with %d channels", clientName, channels.size());
            onReconnect.forEach(Runnable::run);
        }
        onSubscribed.forEach(handler -> handler.accept(reopened));
    }

    /** A SUBSCRIBE of the channel is queued on the current session: Redis will confirm it once. */
    private void owe(String channel) {
        owed.merge(channel, 1, Integer::sum);
    }

    /** Counts a confirmation off; whether it answers a SUBSCRIBE written before the channel was left. */
    private boolean answeredBeforeLeaving(String channel) {
        owed.computeIfPresent(channel, ChannelSubscriber::oneLess);
        boolean beforeLeaving = stale.containsKey(channel);
        stale.computeIfPresent(channel, ChannelSubscriber::oneLess);
        return beforeLeaving;
    }

    /** A count one lower, or no entry once none is left. */
    private static Integer oneLess(String channel, Integer count) {
        return count == 1 ? null : count - 1;
    }

    /** What a session owes in replies ends with it: the next one starts from its own commands. */
    private void forgetOwedReplies() {
        unanswered.clear();
        leaving.clear();
        owed.clear();
        stale.clear();
    }

    /** Standalone: whether Redis answers a subscription command before the oldest call waiting (both written on the link). */
    private boolean answersASubscriptionFirst() {
        SubscriptionCommand oldest = unanswered.peek();
        return oldest != null && oldest.callsBefore < calls.peek().number;
    }

    /** One answer of the oldest subscription command written on a standalone link (sharded ones are not counted). */
    private void subscriptionAnswered() {
        SubscriptionCommand oldest = unanswered.peek();
        if (oldest != null && --oldest.answersToCome == 0) {
            unanswered.poll();
        }
    }

    private void confirmed(String channel) {
        List<Promise<Void>> waiting = unconfirmed.remove(channel);
        if (waiting != null) {
            waiting.forEach(Promise::tryComplete);
        }
        if (resubscribing.remove(channel) && resubscribing.isEmpty() && !up && session != null && session.allOpen()) {
            resubscribed();
        }
    }

    private void fail(Session failed, String why) {
        if (failed != session) {
            return;
        }
        session.close();
        session = null;
        resubscribing.clear();
        forgetOwedReplies();
        up = false;
        callable = false;
        failCalls("the Redis subscriber's connection was lost");
        if (!stopped) {
            Log.warnf("Redis subscriber %s lost (%s); re-opening", clientName, why);
            retryLater();
        }
    }

    private void retryLater() {
        long delay = backoffMs;
        backoffMs = Math.min(backoffMs * 2, maxBackoff.toMillis());
        vertx.setTimer(delay, t -> context.runOnContext(v -> open()));
    }

    private void dispatch(Session from, Response push) {
        if (from != session || push == null || HalfOpenCheck.isPingAnswer(push)) {
            return;
        }
        if (push.type() == ResponseType.PUSH) {
            // RESP3: this connection can also carry calls (standalone only: a cluster's calls go to each key's master).
            if (!callable && !sharded && up) {
                callable = true;
            }
        } else if (!calls.isEmpty() && !(push.type() == ResponseType.ERROR && answersASubscriptionFirst())) {
            // Calls go only on RESP3, where every message is a push: anything else answers a call.
            replied(push);
            return;
        }
        if (push.type() == ResponseType.ERROR) {
            // A subscription command's error reply. Sharded: -MOVED, -ASK, -CLUSTERDOWN, the view of the slots is stale.
            // Standalone: an ACL that refuses a channel (-NOPERM), or -BUSY while a script runs long. Either way a new
            // session subscribes every channel again, and while Redis refuses, the subscriber is down, as readiness says:
            // a channel left unheld behind a session that counts as up would lose its room's messages without a word.
            fail(from, push.toString());
            return;
        }
        // RESP2 delivers ["message", channel, payload]; RESP3 delivers the same as a push.
        if ((push.type() != ResponseType.MULTI && push.type() != ResponseType.PUSH) || push.size() != 3) {
            return;
        }
        String kind = push.get(0).toString();
        String channel = push.get(1).toString();
        switch (kind) {
            case "message", "smessage" -> {
                for (var route : routes.entrySet()) {
                    if (channel.startsWith(route.getKey())) {
                        route.getValue().accept(channel, push.get(2).toString());
                        return;
                    }
                }
            }
            case "subscribe", "ssubscribe" -> {
                subscriptionAnswered();
                if (!answeredBeforeLeaving(channel)) {
                    confirmed(channel);
                }
            }
            case "unsubscribe" -> subscriptionAnswered();
            case "sunsubscribe" -> {
                if (leaving.containsKey(channel)) {
                    leaving.computeIfPresent(channel, ChannelSubscriber::oneLess);
                } else if (channels.contains(channel)) {
                    // Redis dropped a channel we hold: its slot is no longer served by this master.
                    fail(from, "Redis moved the slot of " + channel);
                }
            }
            default -> {
            }
        }
    }

    /** The connections of one view of the deployment: one link, or one per master that serves a held channel. */
    private final class Session {

        private final ClusterSlots slots;
        private final Map<String, Link> links = new LinkedHashMap<>();
        private boolean closed;

        Session(ClusterSlots slots) {
            this.slots = slots;
        }

        private String endpointOf(String channel) {
            return slots == null ? deployment.hosts().get(0) : slots.owner(KeySlots.slot(channel));
        }

        private Link linkFor(String channel) {
            return links.computeIfAbsent(endpointOf(channel), Link::new);
        }

        void openAll() {
            if (slots == null) {
                linkFor("").open();
                return;
            }
            for (String channel : channels) {
                linkFor(channel);
            }
            if (links.isEmpty() && resubscribing.isEmpty() && !up) {
                resubscribed();
            }
            List.copyOf(links.values()).forEach(Link::open);
        }

        /** The one link of a standalone session; null on a Redis Cluster. */
        Link standaloneLink() {
            return slots == null ? links.get(deployment.hosts().get(0)) : null;
        }

        boolean allOpen() {
            return links.values().stream().allMatch(link -> link.connection != null);
        }

        void subscribe(String channel) {
            Link link = linkFor(channel);
            if (link.connection == null) {
                if (!link.opening) {
                    link.open();
                }
            } else if (sharded) {
                owe(channel);
                link.send(Request.cmd(Command.SSUBSCRIBE).arg(channel));
            } else {
                owe(channel);
                link.coalesce(Command.SUBSCRIBE, channel);
            }
        }

        void unsubscribe(String channel) {
            Link link = links.get(endpointOf(channel));
            if (link == null || link.connection == null) {
                return;
            }
            Integer unanswered = owed.get(channel);
            if (unanswered != null) {
                stale.put(channel, unanswered);
            }
            if (sharded) {
                leaving.merge(channel, 1, Integer::sum);
                link.send(Request.cmd(Command.SUNSUBSCRIBE).arg(channel));
            } else {
                link.coalesce(Command.UNSUBSCRIBE, channel);
            }
        }

        void close() {
            closed = true;
            links.values().forEach(Link::close);
        }

        /** One connection of the session, to one node. */
        private final class Link {

            private final String endpoint;
            private final Redis client;
            private RedisConnection connection;
            private HalfOpenCheck halfOpen;
            /** A ping went out while no other reply was owed: the next error or pong is its answer. */
            private boolean pingAwaited;
            private boolean opening;
            /**
             * SUBSCRIBEs and UNSUBSCRIBEs asked for and not yet written, in the order asked; consecutive ones of a kind
             * share a command. Written once the tasks already queued on the context have run: a reconnect storm's
             * thousands of user channels cost Redis and the gateway a command and a write per run instead of one each.
             */
            private final List<Run> unwritten = new ArrayList<>();

            Link(String endpoint) {
                this.endpoint = endpoint;
                this.client = Redis.createClient(vertx, deployment.nodeOptions(endpoint, clientName).setMaxPoolSize(1).setMaxPoolWaiting(1));
            }

            void open() {
                opening = true;
                client.connect().onComplete(ar -> context.runOnContext(v -> {
                    if (ar.failed()) {
                        fail(Session.this, endpoint + ": " + ar.cause().getMessage());
                        return;
                    }
                    RedisConnection conn = ar.result();
                    if (closed) {
                        conn.close();
                        return;
                    }
                    conn.handler(push -> {
                        if (halfOpen != null) {
                            halfOpen.heard();
                        }
                        if (pingAwaited && push != null && (push.type() == ResponseType.ERROR || HalfOpenCheck.isPingAnswer(push))) {
                            // The ping's answer, an error too (-BUSY while a long script runs): Redis is there.
                            pingAwaited = false;
                            return;
                        }
                        dispatch(Session.this, push);
                    });
                    conn.exceptionHandler(e -> context.runOnContext(x -> fail(Session.this, endpoint + ": " + e.getMessage())));
                    conn.endHandler(x -> context.runOnContext(y -> fail(Session.this, endpoint + " closed the connection")));
                    // Named, so operators (and tests) can find this process's subscriptions in CLIENT LIST.
                    conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(clientName)).onComplete(named -> context.runOnContext(y -> {
                        if (named.failed()) {
                            conn.close();
                            fail(Session.this, endpoint + ": " + named.cause().getMessage());
                            return;
                        }
                        if (closed) {
                            conn.close();
                            return;
                        }
                        connection = conn;
                        opening = false;
                        halfOpen = HalfOpenCheck.start(vertx, pingInterval, this::ping,
                                () -> fail(Session.this, endpoint + ": nothing from Redis for two ping intervals of " + pingInterval.toMillis() + " ms"));
                        subscribeAll();
                    }));
                }));
            }

            /** Subscribes every held channel that belongs on this link. */
            private void subscribeAll() {
                for (String channel : channels) {
                    if (!endpoint.equals(endpointOf(channel))) {
                        continue;
                    }
                    owe(channel);
                    if (sharded) {
                        send(Request.cmd(Command.SSUBSCRIBE).arg(channel));
                    } else {
                        coalesce(Command.SUBSCRIBE, channel);
                    }
                }
                writeUnwritten();
                if (resubscribing.isEmpty() && !up && allOpen()) {
                    resubscribed();
                }
            }

            /**
             * Pings only while this connection owes no other reply, so that an error answering the ping is never taken
             * for a call's or a subscription's. Otherwise the replies owed are the probe: none coming gives the link up.
             */
            private void ping() {
                // An unanswered ping of ours is a reply owed too: one ping at a time, so each answer is matched.
                if (connection == null || pingAwaited || owesReplies()) {
                    return;
                }
                pingAwaited = true;
                HalfOpenCheck.ping(connection);
            }

            private boolean owesReplies() {
                if (slots == null && (!calls.isEmpty() || !unanswered.isEmpty())) {
                    return true;
                }
                return java.util.stream.Stream.of(unconfirmed.keySet(), resubscribing, leaving.keySet(), owed.keySet()).flatMap(Set::stream)
                        .anyMatch(channel -> endpoint.equals(endpointOf(channel)));
            }

            void send(Request request) {
                connection.send(request).onFailure(e -> context.runOnContext(v -> fail(Session.this, endpoint + ": " + e.getMessage())));
            }

            /** Standalone only (a command's sharded channels must share a slot); writes after the context's queued tasks. */
            void coalesce(Command kind, String channel) {
                if (unwritten.isEmpty()) {
                    context.runOnContext(v -> writeUnwritten());
                }
                Run last = unwritten.isEmpty() ? null : unwritten.get(unwritten.size() - 1);
                if (last == null || last.kind != kind || last.channels.size() == CHANNELS_PER_COMMAND) {
                    last = new Run(kind, new ArrayList<>());
                    unwritten.add(last);
                }
                last.channels.add(channel);
            }

            /** Also before a call, so that the connection carries commands in the order they were asked for. */
            void writeUnwritten() {
                if (!closed && connection != null) {
                    // Dropped otherwise: a new session subscribes every channel held then.
                    for (Run run : unwritten) {
                        Request command = Request.cmd(run.kind);
                        run.channels.forEach(command::arg);
                        send(command);
                        unanswered.add(new SubscriptionCommand(run.channels.size(), callsWritten));
                    }
                }
                unwritten.clear();
            }

            void close() {
                if (halfOpen != null) {
                    halfOpen.stop();
                }
                if (connection != null) {
                    connection.close();
                }
                client.close();
            }
        }
    }

    /** Consecutive subscription changes of one kind, written as one command. */
    private record Run(Command kind, List<String> channels) {
    }
}
