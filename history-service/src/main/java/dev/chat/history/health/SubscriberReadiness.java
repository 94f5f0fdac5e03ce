package dev.chat.history.health;

import dev.chat.history.ingest.RoomTrafficSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Redis subscriber connection is open and subscribed to every room channel. */
@Readiness
@ApplicationScoped
public class SubscriberReadiness implements HealthCheck {

    private final RoomTrafficSubscriber subscriber;

    public SubscriberReadiness(RoomTrafficSubscriber subscriber) {
        this.subscriber = subscriber;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("redis-subscriber").status(subscriber.isUp()).build();
    }
}
