package dev.chat.load;

import dev.chat.load.probe.Watched;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The command line, parsed and checked once; {@link #USAGE} documents every flag. */
public record Options(String mode, String protocol, List<URI> targets, String jwtSecret, String tokenCommand, String issuer,
        String userPrefix, String roomPrefix, int clients, int rooms, int publishers, double rate, Duration duration,
        Duration warmup, Duration drain, Duration drainMax, int messageSize, int connectConcurrency, Duration connectTimeout, Duration hold,
        List<Watched> pids, boolean gcHeap, String history, String label, String out, boolean insecure, int eventLoops,
        String presence, double churnRate, Duration churnHold) {

    static final String USAGE = """
            usage: java -jar load-test.jar [options]
              --protocol chat|socketio     wire protocol (default chat: shared/PROTOCOL.md; socketio: Engine.IO v4)
              --target URL                 ws:// or wss:// gateway; repeat or comma-separate; clients go round-robin
                                           (path defaults to /chat, or /socket.io/?EIO=4&transport=websocket)
              --jwt-secret S               mint HS256 tokens (issuer --issuer, sub = user id); or CHAT_JWT_SECRET
              --token-command CMD          instead: run `sh -c CMD` per user ({user} replaced, else appended); first line = token
              --issuer ISS                 token issuer (default chat)
              --mode run|idle              run: connect, join, send, measure; idle: hold connections, report memory per connection
              --clients N                  connections (default 100)
              --rooms N                    rooms; client i joins room i % N (default 10; 0: join nothing)
              --publishers N               clients that send (the first N; default = rooms)
              --rate R                     aggregate messages per second over all publishers (default 100; 0: connect only)
              --duration D                 measured sending time, e.g. 30s, 2m (default 30s)
              --warmup D                   sending before measuring (default 5s)
              --drain D                    after sending stops, wait for missing acks and deliveries until nothing has
                                           moved for D (default 10s) ...
              --drain-max D                ... or D has passed (default 60s); what is still missing then is lost
              --message-size N             characters of message text (default 100, at least 40)
              --connect-concurrency N      upgrades in flight at once (default 200)
              --connect-timeout D          time allowed for all clients to connect and join (default 120s)
              --hold D                     idle mode: time the connections stay open before memory is read (default 10s)
              --pid NAME=PID[+[FILTER]]    process to watch (CPU, RSS); + adds descendants, +FILTER those whose cmdline has FILTER
              --gc-heap                    idle mode: also force a full GC in JVM processes (jcmd) and report heap per connection
              --history URL                history service base URL: sample ingest lag, time the catch-up after sending stops
              --label TEXT                 name of the run in reports (default: protocol)
              --out PREFIX                 write PREFIX.json and PREFIX.html (default load-report)
              --room-prefix P              room names P0, P1, ... (default: random per run, so seqs start fresh)
              --user-prefix P              user ids P0, P1, ... (default load)
              --insecure                   wss: trust any certificate
              --event-loops N              Vert.x event loops of the tool (default 2 x cores)
              --presence events|diff|none  chat protocol: presence frames the clients join for (default events:
                                           presence.join/leave and full lists; diff: batched presence.diff; none:
                                           no presence frames, like the peer's clients)
              --churn-rate R               run mode: beside the held clients, R more clients per second connect, join
                                           room k % rooms, stay --churn-hold and leave, from the warm-up to the end of
                                           the measurement (default 0: none); the held clients' figures stay theirs
              --churn-hold D               how long each churning client stays joined (default 5s)
            """;

    /** The options for the report (no secrets). */
    java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mode", mode);
        m.put("protocol", protocol);
        m.put("targets", targets.stream().map(URI::toString).toList());
        m.put("tokens", tokenCommand != null ? "command" : "hs256");
        m.put("clients", clients);
        m.put("rooms", rooms);
        m.put("publishers", publishers);
        m.put("rate", rate);
        m.put("durationSeconds", duration.toMillis() / 1000.0);
        m.put("warmupSeconds", warmup.toMillis() / 1000.0);
        m.put("drainSeconds", drain.toMillis() / 1000.0);
        m.put("drainMaxSeconds", drainMax.toMillis() / 1000.0);
        m.put("messageSize", messageSize);
        m.put("connectConcurrency", connectConcurrency);
        m.put("roomPrefix", roomPrefix);
        m.put("pids", pids.stream().map(Watched::toString).toList());
        m.put("history", history);
        m.put("eventLoops", eventLoops);
        m.put("presence", presence);
        if (churnRate > 0) {
            m.put("churnRate", churnRate);
            m.put("churnHoldSeconds", churnHold.toMillis() / 1000.0);
        }
        return m;
    }

    static Options parse(String[] args) {
        String mode = "run";
        String protocol = "chat";
        List<URI> targets = new ArrayList<>();
        String secret = System.getenv("CHAT_JWT_SECRET");
        String tokenCommand = null;
        String issuer = "chat";
        String userPrefix = "load";
        String roomPrefix = "r" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36) + "-";
        int clients = 100;
        int rooms = 10;
        Integer publishers = null;
        double rate = 100;
        Duration duration = Duration.ofSeconds(30);
        Duration warmup = Duration.ofSeconds(5);
        Duration drain = Duration.ofSeconds(10);
        Duration drainMax = Duration.ofSeconds(60);
        int size = 100;
        int concurrency = 200;
        Duration connectTimeout = Duration.ofSeconds(120);
        Duration hold = Duration.ofSeconds(10);
        List<Watched> pids = new ArrayList<>();
        boolean gcHeap = false;
        String history = null;
        String label = null;
        String out = "load-report";
        boolean insecure = false;
        int loops = 2 * Runtime.getRuntime().availableProcessors();
        String presence = "events";
        double churnRate = 0;
        Duration churnHold = Duration.ofSeconds(5);
        boolean secretGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--help") || a.equals("-h")) {
                throw new UsageException(null);
            }
            if (a.equals("--gc-heap")) {
                gcHeap = true;
                continue;
            }
            if (a.equals("--insecure")) {
                insecure = true;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException(a + " needs a value");
                }
                value = args[++i];
            }
            try {
                switch (a) {
                    case "--mode" -> mode = oneOf(a, value, "run", "idle");
                    case "--protocol" -> protocol = oneOf(a, value, "chat", "socketio");
                    case "--target" -> {
                        for (String t : value.split(",")) {
                            URI u = URI.create(t.trim());
                            if (!"ws".equals(u.getScheme()) && !"wss".equals(u.getScheme()) || u.getHost() == null) {
                                throw new UsageException("--target must be ws:// or wss:// with a host: " + t);
                            }
                            targets.add(u);
                        }
                    }
                    case "--jwt-secret" -> {
                        secret = value;
                        secretGiven = true;
                    }
                    case "--token-command" -> tokenCommand = value;
                    case "--issuer" -> issuer = value;
                    case "--clients" -> clients = positive(a, Integer.parseInt(value), 1);
                    case "--rooms" -> rooms = positive(a, Integer.parseInt(value), 0);
                    case "--publishers" -> publishers = positive(a, Integer.parseInt(value), 0);
                    case "--rate" -> rate = Double.parseDouble(value);
                    case "--duration" -> duration = duration(value);
                    case "--warmup" -> warmup = duration(value);
                    case "--drain" -> drain = duration(value);
                    case "--drain-max" -> drainMax = duration(value);
                    case "--message-size" -> size = positive(a, Integer.parseInt(value), 40);
                    case "--connect-concurrency" -> concurrency = positive(a, Integer.parseInt(value), 1);
                    case "--connect-timeout" -> connectTimeout = duration(value);
                    case "--hold" -> hold = duration(value);
                    case "--pid" -> pids.add(Watched.parse(value));
                    case "--history" -> history = value;
                    case "--label" -> label = value;
                    case "--out" -> out = value;
                    case "--room-prefix" -> roomPrefix = value;
                    case "--user-prefix" -> userPrefix = value;
                    case "--event-loops" -> loops = positive(a, Integer.parseInt(value), 1);
                    case "--presence" -> presence = oneOf(a, value, "events", "diff", "none");
                    case "--churn-rate" -> churnRate = Double.parseDouble(value);
                    case "--churn-hold" -> churnHold = duration(value);
                    default -> throw new UsageException("unknown option " + a);
                }
            } catch (NumberFormatException e) {
                throw new UsageException(a + ": not a number: " + value);
            }
        }
        if (targets.isEmpty()) {
            throw new UsageException("give at least one --target");
        }
        if (tokenCommand != null && !secretGiven) {
            secret = null;
        }
        if ((secret == null || secret.isEmpty()) && tokenCommand == null) {
            throw new UsageException("give --jwt-secret (or CHAT_JWT_SECRET) or --token-command");
        }
        if (tokenCommand != null && secret != null) {
            throw new UsageException("give only one of --jwt-secret and --token-command");
        }
        if (rate < 0) {
            throw new UsageException("--rate must be >= 0");
        }
        int pubs = publishers != null ? publishers : rooms;
        if (mode.equals("idle")) {
            rate = 0;
            pubs = 0;
        }
        if (rate > 0 && (rooms == 0 || pubs == 0)) {
            throw new UsageException("sending (--rate > 0) needs --rooms and --publishers above 0");
        }
        if (churnRate < 0) {
            throw new UsageException("--churn-rate must be >= 0");
        }
        if (churnRate > 0 && (mode.equals("idle") || rate == 0)) {
            throw new UsageException("--churn-rate runs beside sending: it needs --mode run and --rate above 0");
        }
        if (pubs > clients) {
            throw new UsageException("--publishers (" + pubs + ") exceeds --clients (" + clients + ")");
        }
        return new Options(mode, protocol, List.copyOf(targets), secret, tokenCommand, issuer, userPrefix, roomPrefix, clients,
                rooms, pubs, rate, duration, warmup, drain, drainMax, size, concurrency, connectTimeout, hold, List.copyOf(pids), gcHeap,
                history, label == null ? protocol : label, out, insecure, loops, presence, churnRate, churnHold);
    }

    static Duration duration(String v) {
        String s = v.trim().toLowerCase();
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("m")) {
                return Duration.ofSeconds(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60));
            }
            if (s.endsWith("s")) {
                s = s.substring(0, s.length() - 1);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new UsageException("not a duration: " + v + " (e.g. 500ms, 30s, 2m)");
        }
    }

    private static int positive(String flag, int v, int min) {
        if (v < min) {
            throw new UsageException(flag + " must be at least " + min);
        }
        return v;
    }

    private static String oneOf(String flag, String v, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new UsageException(flag + " must be one of " + String.join(", ", allowed));
    }

    /** A bad command line: the message (or the usage when null) goes to the user, exit status 64. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
