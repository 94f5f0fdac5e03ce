package dev.chat.common.rooms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The naming rules both services apply (PROTOCOL.md), direct-message rooms included. */
class RoomNamesTest {

    @Test
    void publicRoomsAndUsers() {
        assertTrue(RoomNames.isValidRoom("general-1.a_b"));
        assertTrue(RoomNames.isValidUser("x".repeat(64)));
        assertFalse(RoomNames.isValidUser("x".repeat(65)));
        assertFalse(RoomNames.isValidRoom("has space"));
        assertFalse(RoomNames.isValidRoom(null));
        assertFalse(RoomNames.isValidUser(null));
    }

    @Test
    void aNameIsOneToSixtyFourCharactersOfExactlyTheProtocolsClass() {
        Pattern protocol = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            String name = "a" + c + "b";
            assertEquals(protocol.matcher(name).matches(), RoomNames.isValidRoom(name), () -> "character U+" + Integer.toHexString(name.charAt(1)));
        }
        assertFalse(RoomNames.isValidRoom(""));
        assertFalse(RoomNames.isValidUser(""));
        assertTrue(RoomNames.isValidRoom("-"));
        assertTrue(RoomNames.isValidRoom("x".repeat(64)));
        assertFalse(RoomNames.isValidRoom("x".repeat(65)));
    }

    @Test
    void directRoomsAreSortedPairsOnlyTheirParticipantsMayAccess() {
        assertEquals("dm:alice:bob", RoomNames.direct("bob", "alice"));
        assertEquals("dm:alice:alice", RoomNames.direct("alice", "alice"));
        assertTrue(RoomNames.isValidRoom("dm:alice:bob"));
        assertFalse(RoomNames.isValidRoom("dm:bob:alice"), "participants must be sorted");
        assertFalse(RoomNames.isValidRoom("dm:alice"));
        assertFalse(RoomNames.isValidRoom("dm:alice:bob:carol"));
        assertTrue(RoomNames.mayAccess("bob", "dm:alice:bob"));
        assertFalse(RoomNames.mayAccess("carol", "dm:alice:bob"));
        assertFalse(RoomNames.mayAccess("alice", "dm:bob:alice"));
        assertTrue(RoomNames.mayAccess("carol", "general"));
        assertEquals("bob", RoomNames.otherParticipant("dm:alice:bob", "alice"));
        assertEquals("alice", RoomNames.otherParticipant("dm:alice:alice", "alice"));
        assertThrows(IllegalArgumentException.class, () -> RoomNames.otherParticipant("dm:bob:alice", "bob"));
    }
}
