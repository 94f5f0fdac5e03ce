package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nginx (deploy/nginx) sends the WebSocket upgrade upstream without the browser's cookies: the gateway
 * authenticates with the token and never reads them, but keeps the upgrade's headers for the connection's
 * life, so cookies would only cost memory per connection. Every other route keeps them. The upstream here
 * records what nginx forwards.
 */
class NginxCookiesIT {

    static final String COOKIE = "session=" + "s".repeat(400) + "; consent=yes";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** The Cookie header the upstream received, per path ("" when there was none); set before it answers. */
    static final Map<String, String> forwarded = new ConcurrentHashMap<>();
    static HttpServer upstream;
    static NginxProcess nginx;

    @BeforeAll
    static void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            forwarded.put(exchange.getRequestURI().getPath(),
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("Cookie")).orElse(""));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        upstream.start();
        int port = upstream.getAddress().getPort();
        nginx = NginxProcess.start(port, port, port);
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void theWebSocketPathGoesUpstreamWithoutCookies() throws Exception {
        send("/chat?access_token=abc");
        assertEquals("", forwarded.get("/chat"), "the cookie reached the gateway's WebSocket path");
    }

    @Test
    void otherPathsKeepTheirCookies() throws Exception {
        send("/rooms/general/messages");
        send("/index.html");
        assertEquals(COOKIE, forwarded.get("/rooms/general/messages"));
        assertEquals(COOKIE, forwarded.get("/index.html"));
    }

    private static void send(String pathAndQuery) throws Exception {
        HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(nginx.url() + pathAndQuery))
                .header("Cookie", COOKIE).GET().build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(204, response.statusCode(), "the recording upstream answers " + pathAndQuery);
    }
}
