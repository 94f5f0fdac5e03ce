package dev.chat.load.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    private final DeliveryLedger ledger = new DeliveryLedger();

    private void sendAndAck(String cid, String room, String origin, long seq, long at) {
        ledger.sent(cid, room, at);
        ledger.acked(cid, room, origin, seq, 1000 + seq);
    }

    @Test
    void everyAckedMessageReceivedByEveryMemberIsClean() {
        MemberLog a = ledger.joined("r", 10, 0);
        MemberLog b = ledger.joined("r", 10, 0);
        for (int s = 1; s <= 3; s++) {
            sendAndAck("s" + s, "r", "", s, 20 + s);
            assertTrue(ledger.delivered(a, "", s));
            assertTrue(ledger.delivered(b, "", s));
        }
        DeliveryLedger.Integrity i = ledger.integrity();
        assertTrue(i.clean());
        assertEquals(6, i.expected());
        assertEquals(6, i.delivered());
        assertEquals(6, ledger.expectedSoFar());
    }

    @Test
    void aMissingDeliveryIsLostForThatMemberOnly() {
        MemberLog a = ledger.joined("r", 10, 0);
        MemberLog b = ledger.joined("r", 10, 0);
        sendAndAck("s1", "r", "", 1, 20);
        sendAndAck("s2", "r", "", 2, 21);
        ledger.delivered(a, "", 1);
        ledger.delivered(a, "", 2);
        ledger.delivered(b, "", 2);
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(1, i.lost());
        assertEquals(0, i.ackedNotDelivered());
        assertFalse(i.clean());
    }

    @Test
    void aSecondCopyIsADuplicateAndALowerSeqAfterAHigherOneIsOutOfOrder() {
        MemberLog a = ledger.joined("r", 10, 0);
        for (int s = 1; s <= 3; s++) {
            sendAndAck("s" + s, "r", "", s, 20 + s);
        }
        assertTrue(ledger.delivered(a, "", 1));
        assertFalse(ledger.delivered(a, "", 1));
        assertTrue(ledger.delivered(a, "", 3));
        assertTrue(ledger.delivered(a, "", 2));
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(1, i.duplicated());
        assertEquals(1, i.outOfOrder());
        assertEquals(0, i.lost());
        assertEquals(3, i.delivered());
        assertFalse(i.clean());
    }

    @Test
    void messagesSentBeforeTheJoinAreNotOwedToTheMember() {
        sendAndAck("s1", "r", "", 1, 5);
        MemberLog late = ledger.joined("r", 10, 1);
        sendAndAck("s2", "r", "", 2, 20);
        assertFalse(ledger.delivered(late, "", 1));
        assertTrue(ledger.delivered(late, "", 2));
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(1, i.expected());
        assertEquals(0, i.lost());
        assertEquals(1, i.beforeJoin());
    }

    @Test
    void aMessageForARoomNotJoinedIsAViolationNotADelivery() {
        assertFalse(ledger.delivered(null, "", 1));
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(1, i.notJoined());
        assertEquals(0, i.delivered());
        assertFalse(i.clean());
    }

    @Test
    void peerSeqsAreCountedPerOrigin() {
        MemberLog a = ledger.joined("r", 10, 0);
        sendAndAck("s1", "r", "pa", 1, 20);
        sendAndAck("s2", "r", "pb", 1, 21);
        sendAndAck("s3", "r", "pa", 2, 22);
        assertTrue(ledger.delivered(a, "pb", 1));
        assertTrue(ledger.delivered(a, "pa", 1));
        assertTrue(ledger.delivered(a, "pa", 2));
        DeliveryLedger.Integrity i = ledger.integrity();
        assertTrue(i.clean(), i.toString());
        assertEquals(3, i.expected());
    }

    @Test
    void refusedAndUnansweredSendsAreNotOwed() {
        ledger.joined("r", 10, 0);
        ledger.sent("s1", "r", 20);
        ledger.sent("s2", "r", 21);
        assertEquals("r", ledger.refused("s1").room());
        assertNull(ledger.refused("s1"));
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(0, i.expected());
        assertEquals(1, i.unacked());
    }

    @Test
    void ackedMessageNobodyGotIsReportedAsSuch() {
        ledger.joined("r", 10, 0);
        sendAndAck("s1", "r", "", 1, 20);
        DeliveryLedger.Integrity i = ledger.integrity();
        assertEquals(1, i.lost());
        assertEquals(1, i.ackedNotDelivered());
    }

    @Test
    void oldestUnstoredMessageGivesTheIngestLagReference() {
        ledger.joined("r", 10, 0);
        sendAndAck("s1", "r", "", 1, 20);
        sendAndAck("s2", "r", "", 2, 21);
        assertEquals(1001, ledger.oldestUnstoredTs("r", "", 0));
        assertEquals(1002, ledger.oldestUnstoredTs("r", "", 1));
        assertEquals(-1, ledger.oldestUnstoredTs("r", "", 2));
        assertEquals(2, ledger.maxAckedSeq("r", ""));
    }
}
