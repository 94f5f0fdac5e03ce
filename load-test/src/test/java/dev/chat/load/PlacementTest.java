package dev.chat.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Clients are spread over the targets within every room, and over the targets as a whole. */
class PlacementTest {

    @Test
    void everyRoomHasHalfItsMembersAndHalfItsPublishersOnEachOfTwoTargets() {
        // S3: 2,000 clients in 200 rooms of 10; the first 400 clients publish.
        int clients = 2000;
        int rooms = 200;
        Map<Integer, int[]> members = new HashMap<>();
        Map<Integer, int[]> publishers = new HashMap<>();
        int[] total = new int[2];
        for (int i = 0; i < clients; i++) {
            int target = Placement.target(i, rooms, 2);
            members.computeIfAbsent(i % rooms, r -> new int[2])[target]++;
            if (i < 400) {
                publishers.computeIfAbsent(i % rooms, r -> new int[2])[target]++;
            }
            total[target]++;
        }
        members.forEach((room, perTarget) -> assertEquals(5, perTarget[0], "room " + room));
        members.forEach((room, perTarget) -> assertEquals(5, perTarget[1], "room " + room));
        publishers.forEach((room, perTarget) -> assertEquals(1, perTarget[0], "publishers of room " + room));
        assertEquals(1000, total[0]);
        assertEquals(1000, total[1]);
    }

    @Test
    void withoutRoomsOrWithOneRoomClientsAlternate() {
        for (int rooms : new int[] {0, 1}) {
            for (int i = 0; i < 10; i++) {
                assertEquals(i % 2, Placement.target(i, rooms, 2));
                assertEquals(i % 3, Placement.target(i, rooms, 3));
            }
        }
    }

    @Test
    void threeTargetsShareARoomOfNine() {
        int[] perTarget = new int[3];
        for (int i = 0; i < 9 * 50; i++) {
            if (i % 50 == 7) {
                perTarget[Placement.target(i, 50, 3)]++;
            }
        }
        assertEquals(3, perTarget[0]);
        assertEquals(3, perTarget[1]);
        assertEquals(3, perTarget[2]);
    }
}
