package dev.chat.common.redis;

import java.nio.charset.StandardCharsets;

/**
 * Redis Cluster hash slots computed in Java, as {@code CLUSTER KEYSLOT} does (CRC16/XMODEM of the key,
 * or of its first non-empty {hash tag}, mod 16384), and a short tag per slot, so a test can put keys
 * and shard channels on the slot (and so the node) of its choice: {@code "room:{" + tagForSlot(s) + "}"}.
 * The services use it for keys that belong to a slot rather than to a room (the per-slot generation
 * marker, history's per-slot channel) and to route a sharded channel to the master that owns it.
 */
public final class KeySlots {

    public static final int SLOTS = 16384;

    private static final int[] CRC16_TABLE = crc16Table();
    /** Characters of the tags: no braces (a tag is used inside {...}), nothing a shell or redis-cli would quote. */
    private static final byte[] TAG_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            .getBytes(StandardCharsets.US_ASCII);

    private KeySlots() {
    }

    public static int slot(String key) {
        return slot(key.getBytes(StandardCharsets.UTF_8));
    }

    public static int slot(byte[] key) {
        int start = 0;
        int end = key.length;
        for (int open = 0; open < key.length; open++) {
            if (key[open] == '{') {
                for (int close = open + 1; close < key.length; close++) {
                    if (key[close] == '}') {
                        // "{}" is no hash tag: then the whole key is hashed.
                        if (close > open + 1) {
                            start = open + 1;
                            end = close;
                        }
                        break;
                    }
                }
                // Only the first '{' counts, whether or not a '}' follows it.
                break;
            }
        }
        return crc16(key, start, end) & (SLOTS - 1);
    }

    /** A shortest string (of [0-9a-zA-Z], 1 to 3 characters) whose slot is {@code slot}. */
    public static String tagForSlot(int slot) {
        return Tags.BY_SLOT[slot];
    }

    public static int crc16(byte[] bytes, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc = update(crc, bytes[i]);
        }
        return crc;
    }

    private static int update(int crc, byte b) {
        return ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ b) & 0xff]) & 0xffff;
    }

    /** Computed on first use (a few milliseconds), not when a native image is built or a service starts. */
    private static final class Tags {
        static final String[] BY_SLOT = shortestTags();
    }

    /** Brute force over ever longer strings until every slot has one. */
    public static String[] shortestTags() {
        String[] tags = new String[SLOTS];
        int found = 0;
        for (int length = 1; found < SLOTS; length++) {
            found = fill(tags, found, new byte[length], 0, 0);
        }
        return tags;
    }

    private static int fill(String[] tags, int found, byte[] tag, int position, int crc) {
        for (byte c : TAG_ALPHABET) {
            if (found == SLOTS) {
                return found;
            }
            tag[position] = c;
            int next = update(crc, c);
            if (position + 1 < tag.length) {
                found = fill(tags, found, tag, position + 1, next);
            } else if (tags[next & (SLOTS - 1)] == null) {
                tags[next & (SLOTS - 1)] = new String(tag, StandardCharsets.US_ASCII);
                found++;
            }
        }
        return found;
    }

    private static int[] crc16Table() {
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            table[i] = crc & 0xffff;
        }
        return table;
    }
}
