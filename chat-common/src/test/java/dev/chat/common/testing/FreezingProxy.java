package dev.chat.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a free loopback port that can hold back a connection's replies or requests for a while, or leave its
 * connections half-open, as a NAT or load balancer does when it forgets an idle connection: both sockets stay open and
 * nothing fails, but no byte passes any more, either way.
 * Connections opened afterwards pass as before. Each connection remembers what its client sent first, so a test can
 * freeze only the connection that said a given thing (a client name, a SUBSCRIBE).
 */
public final class FreezingProxy implements AutoCloseable {

    /** How much of what a client sent is kept to match {@link #freezeWhere} against. */
    private static final int REMEMBERED = 4096;

    private final ServerSocket server;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FreezingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "freezing-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to {@code 127.0.0.1:targetPort}. */
    public static FreezingProxy to(int targetPort) {
        try {
            return new FreezingProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Leaves half-open every open connection whose client has sent {@code text}; returns how many. */
    public int freezeWhere(String text) {
        int frozen = 0;
        for (Link link : links) {
            if (!link.frozen && !link.ended && link.sentByClient().contains(text)) {
                link.frozen = true;
                frozen++;
            }
        }
        return frozen;
    }

    /**
     * Holds back what the server sends on every open connection whose client has sent {@code text} (and on none other),
     * until {@link #releaseReplies}: replies then arrive together, as after a slow network's pause.
     */
    public int holdRepliesWhere(String text) {
        return holdWhere(text, link -> link.toClient);
    }

    /** Passes on everything held back, and from then on as it comes. */
    public void releaseReplies() {
        links.forEach(link -> link.toClient.release());
    }

    /**
     * Holds back what the client sends from now on, on every open connection whose client has sent {@code text}, until
     * {@link #releaseRequests}: the server has not seen those commands meanwhile, though the client wrote them.
     */
    public int holdRequestsWhere(String text) {
        return holdWhere(text, link -> link.toServer);
    }

    /** Passes on every request held back, and from then on as they come. */
    public void releaseRequests() {
        links.forEach(link -> link.toServer.release());
    }

    private int holdWhere(String text, java.util.function.Function<Link, Direction> direction) {
        int held = 0;
        for (Link link : links) {
            if (!link.ended && link.sentByClient().contains(text)) {
                direction.apply(link).hold();
                held++;
            }
        }
        return held;
    }

    /** How many connections are open through the proxy and still pass bytes. */
    public long passingConnectionsWhere(String text) {
        return links.stream().filter(link -> !link.frozen && !link.ended && link.sentByClient().contains(text)).count();
    }

    /** How often {@code token} occurs in what clients that sent {@code text} have sent (within the first 4 KB of each). */
    public int countInClientBytesWhere(String text, String token) {
        int count = 0;
        for (Link link : links) {
            String sent = link.sentByClient();
            if (sent.contains(text)) {
                for (int at = sent.indexOf(token); at >= 0; at = sent.indexOf(token, at + token.length())) {
                    count++;
                }
            }
        }
        return count;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        links.forEach(Link::close);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket target = new Socket();
                target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                Link link = new Link(client, target);
                links.add(link);
                link.start();
            } catch (IOException e) {
                if (!closed) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** One direction of a link: passes bytes on, or keeps them while held. */
    private static final class Direction {
        private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
        private OutputStream out;
        private boolean holding;

        synchronized void to(OutputStream out) {
            this.out = out;
        }

        synchronized void pass(byte[] bytes, int length) throws IOException {
            if (holding) {
                held.write(bytes, 0, length);
                return;
            }
            out.write(bytes, 0, length);
            out.flush();
        }

        synchronized void hold() {
            holding = true;
        }

        synchronized void release() {
            if (!holding) {
                return;
            }
            holding = false;
            try {
                held.writeTo(out);
                out.flush();
            } catch (IOException closed) {
                // The other side went away: nothing to pass on.
            }
            held.reset();
        }
    }

    private static final class Link {
        private final Socket client;
        private final Socket target;
        private final StringBuilder sent = new StringBuilder();
        private volatile boolean frozen;
        private volatile boolean ended;
        /** What the server sent, on its way to the client (see {@link #holdRepliesWhere}). */
        private final Direction toClient = new Direction();
        /** What the client sent, on its way to the server (see {@link #holdRequestsWhere}). */
        private final Direction toServer = new Direction();

        Link(Socket client, Socket target) {
            this.client = client;
            this.target = target;
        }

        void start() throws IOException {
            toClient.to(client.getOutputStream());
            toServer.to(target.getOutputStream());
            pump(client.getInputStream(), toServer, true);
            pump(target.getInputStream(), toClient, false);
        }

        synchronized String sentByClient() {
            return sent.toString();
        }

        private synchronized void remember(byte[] bytes, int length) {
            if (sent.length() < REMEMBERED) {
                sent.append(new String(bytes, 0, Math.min(length, REMEMBERED - sent.length()), StandardCharsets.ISO_8859_1));
            }
        }

        private void pump(InputStream in, Direction out, boolean fromClient) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try {
                    int read;
                    while ((read = in.read(buffer)) >= 0) {
                        if (fromClient) {
                            remember(buffer, read);
                        }
                        // Frozen: what arrives is swallowed, as by a middlebox that forgot the connection.
                        if (frozen) {
                            continue;
                        }
                        out.pass(buffer, read);
                    }
                } catch (IOException ended) {
                    // One side closed: close the other, unless frozen (a half-open connection tells nobody).
                }
                if (!frozen) {
                    close();
                }
            }, "freezing-proxy-pump");
            thread.setDaemon(true);
            thread.start();
        }

        void close() {
            ended = true;
            try {
                client.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
            try {
                target.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
    }
}
