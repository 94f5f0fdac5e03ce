package dev.chat.load;

/**
 * Which target (gateway, or peer instance) a client connects to. Round-robin within each room: a room's members are
 * spread over every target, as clients who land on any instance behind a load balancer would be, so each system's
 * delivery crosses instances as it does in production (a plain {@code client % targets} with an even number of
 * rooms would put every member of a room, and its publishers, on one instance).
 */
final class Placement {

    private Placement() {
    }

    /** The target index of client {@code client}, who joins room {@code client % rooms} (no room when {@code rooms} is 0). */
    static int target(int client, int rooms, int targets) {
        if (rooms <= 1) {
            return client % targets;
        }
        // The client's place among its room's members, shifted by the room so each room's first member alternates too.
        return (client / rooms + client % rooms) % targets;
    }
}
