package dev.chat.gateway.rest;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** REST errors as PROTOCOL.md shapes them: {@code {"code": "...", "message": "..."}}, never a stack trace. */
public final class ApiError {

    @RegisterForReflection
    public record Body(String code, String message) {
    }

    private ApiError() {
    }

    public static WebApplicationException of(int status, String code, String message) {
        return new WebApplicationException(message, null,
                Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Body(code, message)).build());
    }

    public static WebApplicationException badRequest(String message) {
        return of(400, "bad_request", message);
    }

    public static WebApplicationException forbidden(String message) {
        return of(403, "forbidden", message);
    }

    public static WebApplicationException unavailable(Throwable cause) {
        return of(503, "unavailable", "a backing service is unavailable; retry");
    }

    // Not "nothing was accepted": when Redis's reply was lost (timeout, dropped connection) the message may
    // be stored; only a retry with the same Idempotency-Key is sure to land once.
    public static WebApplicationException unconfirmed(Throwable cause) {
        return of(503, "unavailable", "the message store did not confirm the message; retry with the same Idempotency-Key");
    }
}
