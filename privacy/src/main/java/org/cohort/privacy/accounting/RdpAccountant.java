package org.cohort.privacy.accounting;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Immutable Rényi-DP accountant: the RDP curve of everything composed so far (RDP adds up over
 * composition, so heterogeneous events — different σ, q, steps, several jobs on one data set —
 * compose by adding their curves), and the events themselves so that an auditor can recompute it.
 *
 * <p>Persist with {@link #toJson()} and resume with {@link #fromJson(String)}; loading recomputes
 * the curve from the events and rejects a stored curve that does not match them.
 */
public final class RdpAccountant {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Relative disagreement tolerated between a stored and a recomputed RDP value. */
  private static final double STORED_CURVE_TOLERANCE = 1e-9;

  private final double[] orders;
  private final double[] rdp;
  private final List<PrivacyEvent> events;

  private RdpAccountant(double[] orders, double[] rdp, List<PrivacyEvent> events) {
    this.orders = orders;
    this.rdp = rdp;
    this.events = List.copyOf(events);
  }

  /** Largest default order: small targets (ε ~ 1e-3, δ ~ 1e-10) need orders in the 1e5s. */
  static final int MAX_DEFAULT_ORDER = 1_000_000;

  /**
   * The default orders: 1.1, 1.2, ..., 10.9, then 11, 12, ..., 63 (the Opacus/dp_accounting grid),
   * then integers growing geometrically by 2^(1/8) from 64 to 1,000,000. For a Gaussian-like curve
   * ρα the optimal order is about sqrt(log(1/δ)/ρ), and a step of 2^(1/8) costs under 0.1% of ε
   * there; a grid that stopped at 1024 over-noised small-ε targets by two orders of magnitude.
   */
  public static double[] defaultOrders() {
    List<Double> orders = new ArrayList<>();
    for (int tenths = 11; tenths <= 109; tenths++) {
      orders.add(tenths / 10.0);
    }
    for (int order = 11; order <= 63; order++) {
      orders.add((double) order);
    }
    for (int k = 0; ; k++) {
      double order = Math.rint(64 * Math.pow(2, k / 8.0));
      if (order >= MAX_DEFAULT_ORDER) {
        break;
      }
      orders.add(order);
    }
    orders.add((double) MAX_DEFAULT_ORDER);
    return orders.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** An empty accountant on the default orders. */
  public static RdpAccountant create() {
    return withOrders(defaultOrders());
  }

  /** An empty accountant on the given orders (each > 1; +∞ allowed). */
  public static RdpAccountant withOrders(double... orders) {
    if (orders.length == 0) {
      throw new InvalidPrivacyParameterException("need at least one Renyi order");
    }
    for (double order : orders) {
      InvalidPrivacyParameterException.requireOrder(order);
    }
    return new RdpAccountant(orders.clone(), new double[orders.length], List.of());
  }

  /** This accountant with {@code event} composed on top. */
  public RdpAccountant compose(PrivacyEvent event) {
    double[] next = rdp.clone();
    for (int k = 0; k < orders.length; k++) {
      next[k] += event.rdp(orders[k]);
    }
    return new RdpAccountant(orders, next, appendMerging(events, event));
  }

  /** Smallest ε for δ, improved (CKS 2020) conversion, with the optimal order. */
  public PrivacySpent epsilon(double delta) {
    return RdpConversion.epsilon(orders, rdp, delta);
  }

  /** Smallest ε for δ with Mironov's 2017 conversion (looser; for comparison). */
  public PrivacySpent epsilonClassic(double delta) {
    return RdpConversion.epsilonClassic(orders, rdp, delta);
  }

  /** Smallest δ for ε, with the optimal order. */
  public PrivacySpent delta(double epsilon) {
    return RdpConversion.delta(orders, rdp, epsilon);
  }

  @JsonProperty("orders")
  public double[] orders() {
    return orders.clone();
  }

  @JsonProperty("rdp")
  public double[] rdp() {
    return rdp.clone();
  }

  @JsonProperty("events")
  public List<PrivacyEvent> events() {
    return events;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("accountant state is not serialisable", e);
    }
  }

  /**
   * Resumes a persisted accountant; a malformed or inconsistent state is an {@link
   * InvalidPrivacyParameterException}.
   */
  public static RdpAccountant fromJson(String json) {
    try {
      return JSON.readValue(json, RdpAccountant.class);
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof InvalidPrivacyParameterException invalid) {
        throw invalid;
      }
      throw new InvalidPrivacyParameterException(
          "malformed accountant state: " + e.getOriginalMessage());
    }
  }

  @JsonCreator
  static RdpAccountant restore(
      @JsonProperty(value = "orders", required = true) double[] orders,
      @JsonProperty(value = "events", required = true) List<PrivacyEvent> events,
      @JsonProperty("rdp") double[] storedRdp) {
    RdpAccountant accountant = withOrders(orders);
    for (PrivacyEvent event : events) {
      accountant = accountant.compose(event);
    }
    if (storedRdp != null && !matches(storedRdp, accountant.rdp)) {
      throw new InvalidPrivacyParameterException(
          "stored RDP curve does not match the stored events");
    }
    return accountant;
  }

  private static boolean matches(double[] stored, double[] recomputed) {
    if (stored.length != recomputed.length) {
      return false;
    }
    for (int k = 0; k < stored.length; k++) {
      boolean bothInfinite = Double.isInfinite(stored[k]) && Double.isInfinite(recomputed[k]);
      if (!bothInfinite
          && !(Math.abs(stored[k] - recomputed[k])
              <= STORED_CURVE_TOLERANCE * Math.abs(recomputed[k]))) {
        return false;
      }
    }
    return true;
  }

  private static List<PrivacyEvent> appendMerging(List<PrivacyEvent> events, PrivacyEvent event) {
    List<PrivacyEvent> next = new ArrayList<>(events);
    PrivacyEvent last = next.isEmpty() ? null : next.get(next.size() - 1);
    if (last != null && last.withSteps(1).equals(event.withSteps(1))) {
      next.set(next.size() - 1, last.withSteps(Math.addExact(last.steps(), event.steps())));
    } else {
      next.add(event);
    }
    return next;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RdpAccountant other
        && Arrays.equals(orders, other.orders)
        && Arrays.equals(rdp, other.rdp)
        && events.equals(other.events);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(orders) + Arrays.hashCode(rdp)) + events.hashCode();
  }

  @Override
  public String toString() {
    return "RdpAccountant" + events;
  }
}
