package dev.chat.common.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When a connection's socket is read, as requests and answers come and go (a Netty pipeline with the handler in it). */
class AnswerBeforeReadingTest {

    private EmbeddedChannel connection;

    @BeforeEach
    void firstRequestInProgress() {
        // Where Vert.x's handler would be; the bound goes in while the connection's first request is handled.
        connection = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        connection.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        connection.pipeline().addFirst(RequestPipelining.HANDLER, new AnswerBeforeReading());
    }

    /** A request without a body, as Netty's decoder hands it on: its head, then an empty end. */
    private void request() {
        connection.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/rooms/lobby/messages"));
        connection.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    private void answer() {
        connection.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    }

    @Test
    void aClientThatWaitsForEachAnswerIsReadWithoutPause() {
        for (int i = 0; i < 5; i++) {
            answer();
            assertTrue(connection.config().isAutoRead());
            request();
            assertTrue(connection.config().isAutoRead(), "request " + (i + 2) + " came after the answer before it");
        }
    }

    @Test
    void aRequestThatComesBeforeTheAnswerPausesReadingUntilEveryAnswerIsWritten() {
        request();
        request();
        assertFalse(connection.config().isAutoRead(), "two requests wait behind the one in progress");
        answer();
        answer();
        assertFalse(connection.config().isAutoRead(), "one is still unanswered");
        answer();
        assertTrue(connection.config().isAutoRead());
    }

    @Test
    void answersLeftUnreadKeepTheSocketUnreadUntilTheyDrain() {
        // The first request's answer waits to be written (EmbeddedChannel writes on flush): 4 KB, above the connection's
        // 2 KB high-water mark.
        connection.writeOneOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(new byte[4096])));
        assertFalse(connection.isWritable());
        request();
        assertFalse(connection.config().isAutoRead(), "a request came while 4 KB of answers wait");
        connection.writeOneOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertFalse(connection.config().isAutoRead(), "answered, but its answers still wait");
        connection.flushOutbound();
        assertTrue(connection.isWritable());
        assertTrue(connection.config().isAutoRead(), "read again once what waited went out");
    }

    @Test
    void informationalAnswersAnswerNothingYet() {
        request();
        assertFalse(connection.config().isAutoRead());
        connection.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        answer();
        assertFalse(connection.config().isAutoRead(), "100 Continue is not the second request's answer");
        answer();
        assertTrue(connection.config().isAutoRead());
    }

    @Test
    void anAnswerInPartsCountsOnceItEnds() {
        request();
        connection.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        connection.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertFalse(connection.config().isAutoRead(), "the first answer ended; the second request waits");
        connection.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertFalse(connection.config().isAutoRead(), "the second answer has only begun");
        connection.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertTrue(connection.config().isAutoRead());
    }

    @Test
    void aPipelinedRequestsBodyIsReadBeforeReadingPauses() {
        connection.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/rooms/lobby/messages"));
        assertTrue(connection.config().isAutoRead(), "its body is still to come, and it cannot be answered without it");
        connection.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
        assertTrue(connection.config().isAutoRead());
        connection.writeInbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[100])));
        assertFalse(connection.config().isAutoRead(), "whole, it waits behind the first request's answer");
        answer();
        answer();
        assertTrue(connection.config().isAutoRead());
    }

    @Test
    void readingResumedBehindItsBackPausesAgainAtTheNextRequest() {
        request();
        assertFalse(connection.config().isAutoRead());
        // Vert.x switches the same setting for its own back-pressure.
        connection.config().setAutoRead(true);
        request();
        assertFalse(connection.config().isAutoRead(), "two requests still wait behind the first");
    }

    @Test
    void aConnectionThatBecomesAWebSocketLeavesTheBoundAndIsReadAgain() {
        request();
        assertFalse(connection.config().isAutoRead());
        connection.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
        assertNull(connection.pipeline().get(RequestPipelining.HANDLER), "an upgraded connection's reading is its endpoint's to bound");
        assertTrue(connection.config().isAutoRead());
    }
}
