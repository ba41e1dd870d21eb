package org.cohort.coordinator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.wire.RejectionListener;

/** The coordinator's meters. Tags carry error codes and outcomes only, never site data. */
final class CoordinatorMetrics implements RejectionListener {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter roundsCompleted = registry.counter("cohort.rounds.completed");
  private final Counter roundsAbandoned = registry.counter("cohort.rounds.abandoned");
  private final Timer roundDuration = registry.timer("cohort.round.duration");
  private final Counter bytesIn = registry.counter("cohort.transport.bytes.in");
  private final Counter bytesOut = registry.counter("cohort.transport.bytes.out");
  private final Counter handshakeFailures = registry.counter("cohort.transport.handshake.failures");
  private final Counter handshakesShed = registry.counter("cohort.transport.handshake.shed");
  private final AtomicInteger connectedSites =
      registry.gauge("cohort.sites.connected", new AtomicInteger());
  private final Map<ErrorCode, Counter> rejections = new EnumMap<>(ErrorCode.class);

  CoordinatorMetrics() {
    for (ErrorCode code : ErrorCode.values()) {
      if (code != ErrorCode.UNRECOGNIZED && code != ErrorCode.ERROR_CODE_UNSPECIFIED) {
        rejections.put(
            code,
            Counter.builder("cohort.messages.rejected")
                .tag("reason", code.name())
                .register(registry));
      }
    }
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void rejected(ErrorCode code) {
    Counter counter = rejections.get(code);
    if (counter != null) {
      counter.increment();
    }
  }

  double rejectedCount(ErrorCode code) {
    return rejections.get(code).count();
  }

  void roundFinished(RoundPhase phase, Duration duration) {
    (phase == RoundPhase.COMPLETED ? roundsCompleted : roundsAbandoned).increment();
    roundDuration.record(duration);
  }

  void connectedSites(int count) {
    connectedSites.set(count);
  }

  void bytesIn(long n) {
    bytesIn.increment(n);
  }

  void bytesOut(long n) {
    bytesOut.increment(n);
  }

  void handshakeFailed() {
    handshakeFailures.increment();
  }

  /** A connection closed at accept: too many handshakes were already under way. */
  void handshakeShed() {
    handshakesShed.increment();
  }

  double handshakesShed() {
    return handshakesShed.count();
  }

  double handshakeFailures() {
    return handshakeFailures.count();
  }
}
