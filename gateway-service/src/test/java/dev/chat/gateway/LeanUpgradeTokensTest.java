package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * With the development secret, an upgrade's token is verified by the lean verifier ahead of smallrye-jwt; a token it
 * does not vouch for goes on to smallrye-jwt, which still decides; REST requests never meet the lean verifier (their
 * resources need smallrye-jwt's full token).
 */
@QuarkusTest
class LeanUpgradeTokensTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Test
    void anOrdinaryTokenOpensTheConnectionThroughTheLeanVerifier() {
        double lean = count("lean");
        double deferred = count("deferred");

        assertEquals(101, ChatClient.upgradeStatus(vertx, base, Tokens.forUser("alice")));

        assertEquals(lean + 1, count("lean"), "vouched for by the lean verifier");
        assertEquals(deferred, count("deferred"), "not left to smallrye-jwt");
    }

    @Test
    void aTokenInTheQueryIsVerifiedTheSameWay() throws Exception {
        double lean = count("lean");
        try (ChatClient client = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("bob"))) {
            client.next("welcome");
        }
        assertEquals(lean + 1, count("lean"));
    }

    @Test
    void forgedExpiredAndMisissuedTokensGoOnToSmallryeJwtWhichRefusesThem() {
        double lean = count("lean");
        double deferred = count("deferred");

        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.forged("mallory")));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.expired("alice")));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.wrongIssuer("alice")));

        assertEquals(lean, count("lean"), "none vouched for");
        assertEquals(deferred + 3, count("deferred"), "each decided by smallrye-jwt");
    }

    @Test
    void restRequestsAreLeftToSmallryeJwt() {
        double lean = count("lean");
        double deferred = count("deferred");

        RestAssured.given().baseUri(base.toString()).auth().oauth2(Tokens.forUser("alice")).get("/users/alice/presence").then().statusCode(200);

        assertEquals(lean, count("lean"));
        assertEquals(deferred, count("deferred"), "a REST request's token is not an upgrade's");
    }

    static double count(String verifier) {
        String metrics = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher matcher = Pattern.compile("(?m)^chat_gateway_upgrade_tokens_total\\{[^}]*verifier=\"" + verifier + "\"[^}]*\\} ([0-9.eE+-]+)$")
                .matcher(metrics);
        assertTrue(matcher.find(), "chat_gateway_upgrade_tokens_total{verifier=" + verifier + "} is exported");
        return Double.parseDouble(matcher.group(1));
    }
}
