package dev.chat.gateway.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps what the REST layer throws to PROTOCOL.md's JSON errors, so no client ever sees a stack trace or an empty body. */
public class RestErrors {

    @ServerExceptionMapper
    public Response unreadableBody(JsonProcessingException e) {
        return json(400, "bad_request", "the body is not valid JSON of the expected shape");
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        if (e.getResponse().hasEntity()) {
            return e.getResponse();
        }
        int status = e.getResponse().getStatus();
        return json(status, status == 404 ? "not_found" : status == 401 ? "unauthorized" : status == 403 ? "forbidden" : "bad_request",
                status == 404 ? "no such resource" : "request refused");
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        Log.errorf(e, "REST request failed");
        return json(500, "internal", "internal error");
    }

    private static Response json(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError.Body(code, message)).build();
    }
}
