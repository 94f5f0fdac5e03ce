package dev.chat.history.replay;

import dev.chat.history.HistoryConfig;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Caps each connection's kernel send buffer ({@code chat.api.socket-send-buffer}). Left to autotuning, the kernel takes
 * up to megabytes of an answer its client never reads: a default page (about 1.2 MB at most) went in whole, so it counted
 * as taken, freed its user's share, and one account could park hundreds of megabytes in send queues, which a pod's
 * memory limit counts too. With a cap, an unread answer stays where {@link UnflushedResponses} sees it.
 */
@ApplicationScoped
public class AnswerSocketBuffers implements HttpServerOptionsCustomizer {

    private final int sendBuffer;

    public AnswerSocketBuffers(HistoryConfig config) {
        this.sendBuffer = (int) config.api().socketSendBuffer().asLongValue();
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        options.setSendBufferSize(sendBuffer);
    }
}
