package dev.chat.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class AccessTokenParameterTest {

    @Test
    void theTokenIsFoundAmongOtherParameters() {
        assertEquals("a.b.c", AccessTokenParameter.token("access_token=a.b.c"));
        assertEquals("a.b.c", AccessTokenParameter.token("room=general&access_token=a.b.c&limit=5"));
    }

    @Test
    void theTokenIsPercentDecodedAsAnyQueryParameter() {
        assertEquals("a.b/c=", AccessTokenParameter.token("access_token=a.b%2Fc%3D"));
    }

    @Test
    void theFirstOfRepeatedTokensCounts() {
        assertEquals("first", AccessTokenParameter.token("access_token=first&access_token=second"));
    }

    @Test
    void aQueryWithoutTheParameterHasNoToken() {
        assertNull(AccessTokenParameter.token(null));
        assertNull(AccessTokenParameter.token(""));
        assertNull(AccessTokenParameter.token("room=general"));
        assertNull(AccessTokenParameter.token("my_access_token=a.b.c"));
        assertNull(AccessTokenParameter.token("access_tokens=a.b.c"));
    }

    @Test
    void anEmptyParameterIsAnEmptyToken() {
        assertEquals("", AccessTokenParameter.token("access_token="));
    }
}
