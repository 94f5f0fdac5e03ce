package dev.chat.history.replay;

import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure of the REST API into the protocol's JSON error body; a client never sees a stack trace. */
public class ApiErrors {

    @ServerExceptionMapper
    public Response refused(ApiException e) {
        return error(e.status(), e.code(), e.getMessage());
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class, AuthenticationCompletionException.class })
    public Response unauthenticated(RuntimeException e) {
        return Response.status(401)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .type(MediaType.APPLICATION_JSON)
                .entity(new ApiError("unauthorized", "a valid bearer token is required"))
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(403, "forbidden", "not allowed");
    }

    @ServerExceptionMapper
    public Response unavailable(StoreUnavailable e) {
        Log.warnf("History store query failed: %s", e.getCause() == null ? e.getMessage() : e.getCause().toString());
        return error(503, "unavailable", "the history store is unavailable; retry later");
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406, 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal" : "bad_request";
        };
        return error(status, code, e.getResponse().getStatusInfo().getReasonPhrase());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        Log.error("Unexpected failure in the REST API", e);
        return error(500, "internal", "internal error");
    }

    private static Response error(int status, String code, String message) {
        Response.ResponseBuilder response = Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(code, message));
        if (status == 429 || status == 503) {
            // Refusals of the moment (busy, a user's requests in flight, the store down): worth a retry, not at once.
            response.header(HttpHeaders.RETRY_AFTER, 1);
        }
        return response.build();
    }
}
