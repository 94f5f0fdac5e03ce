package dev.chat.history.replay;

import java.util.regex.Pattern;

/** The {@code limit} query parameter of the history API's pages: absent means the default, else 1 to the maximum. */
public final class PageLimit {

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

    private PageLimit() {
    }

    /** {@code value} as a page size; null or empty gives {@code orDefault}; anything else outside 1 to {@code max} is a 400. */
    public static int of(String value, int orDefault, int max) {
        if (value == null || value.isEmpty()) {
            return orDefault;
        }
        long limit = DIGITS.matcher(value).matches() ? Long.parseLong(value) : -1;
        if (limit < 1 || limit > max) {
            throw ApiException.badRequest("limit must be an integer from 1 to " + max);
        }
        return (int) limit;
    }
}
