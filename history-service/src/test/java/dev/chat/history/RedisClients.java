package dev.chat.history;

import io.quarkus.redis.datasource.RedisDataSource;
import java.util.ArrayList;
import java.util.List;

/** What Redis's CLIENT LIST says of this instance's named connections. */
final class RedisClients {

    private RedisClients() {
    }

    /** The ids of the connections named {@code name}, oldest first (a frozen one stays listed until it is closed). */
    static List<String> idsNamed(RedisDataSource redis, String name) {
        List<String> ids = new ArrayList<>();
        for (String line : redis.execute("CLIENT", "LIST").toString().split("\n")) {
            if (line.contains(" name=" + name + " ")) {
                for (String field : line.split(" ")) {
                    if (field.startsWith("id=")) {
                        ids.add(field.substring(3));
                    }
                }
            }
        }
        return ids;
    }

    /** The id of the connection named {@code name}, or null (the newest, should there be several). */
    static String idNamed(RedisDataSource redis, String name) {
        List<String> ids = idsNamed(redis, name);
        return ids.isEmpty() ? null : ids.get(ids.size() - 1);
    }
}
