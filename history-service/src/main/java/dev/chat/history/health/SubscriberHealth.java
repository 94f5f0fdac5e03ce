package dev.chat.history.health;

import dev.chat.history.ingest.RoomTrafficSubscriber;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** UP while the Redis subscriber connection is open and subscribed to every room channel; in the ingest group, not readiness. */
@HealthGroup("ingest")
@ApplicationScoped
public class SubscriberHealth implements HealthCheck {

    private final RoomTrafficSubscriber subscriber;

    public SubscriberHealth(RoomTrafficSubscriber subscriber) {
        this.subscriber = subscriber;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("redis-subscriber").status(subscriber.isUp()).build();
    }
}
