package dev.chat.history.replay;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** The JSON body of every error answer of the REST API: {@code {"code": "...", "message": "..."}}. */
@RegisterForReflection
public record ApiError(String code, String message) {
}
