package dev.chat.gateway.health;

import dev.chat.gateway.room.RoomSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Redis subscriber connection is open with every room channel in place. */
@Readiness
@ApplicationScoped
public class SubscriberReadiness implements HealthCheck {

    private final RoomSubscriber subscriber;

    public SubscriberReadiness(RoomSubscriber subscriber) {
        this.subscriber = subscriber;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("redis-subscriber")
                .status(subscriber.isUp())
                .withData("channels", subscriber.channelCount())
                .build();
    }
}
