package dev.chat.common.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** What Linux says of this process's TCP connections ({@code /proc/net/tcp}), for tests of socket options. */
public final class KernelSockets {

    /** In {@code /proc/net/tcp}'s {@code tr} column: no timer armed (1 is retransmission, 2 keep-alive). */
    public static final int NO_TIMER = 0;

    private KernelSockets() {
    }

    /** One established connection of this process: its armed timer and the seconds until that timer fires. */
    public record Connection(int localPort, int timer, double secondsToTimer) {}

    /** This process's established connections to {@code remotePort} on any address. */
    public static List<Connection> establishedTo(int remotePort) {
        Set<String> ours = socketInodes();
        List<Connection> found = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : lines(table)) {
                String[] f = line.trim().split("\\s+");
                // sl local rem st queues tr:when retrnsmt uid timeout inode
                if (f.length < 10 || !f[3].equals("01") || !ours.contains(f[9])) {
                    continue;
                }
                if (Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16) != remotePort) {
                    continue;
                }
                String[] timer = f[5].split(":");
                // The time to the timer is in clock ticks, 100 a second on Linux.
                found.add(new Connection(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16), Integer.parseInt(timer[0], 16),
                        Long.parseLong(timer[1], 16) / 100.0));
            }
        }
        return found;
    }

    private static Set<String> socketInodes() {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException gone) {
                    // Closed while listed.
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return inodes;
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().skip(1).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
