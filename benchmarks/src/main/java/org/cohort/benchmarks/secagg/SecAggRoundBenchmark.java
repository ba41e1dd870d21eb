package org.cohort.benchmarks.secagg;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.AggregateResult;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggClient;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.crypto.secagg.SecAggServer;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.crypto.secagg.VerificationKeys;

/**
 * End-to-end cost of one secure-aggregation round, in process (no network): per-site compute,
 * coordinator accumulation and unmasking, and bytes each site sends, for the complete graph
 * (SecAgg) and a Harary graph chosen by {@link GraphPlan#choose} (SecAgg+), with and without
 * dropouts. Prints a table.
 *
 * <pre>
 * java -cp 'benchmarks/target/cohort-benchmarks-*.jar:benchmarks/target/lib/*' \
 *     org.cohort.benchmarks.secagg.SecAggRoundBenchmark [sites] [parameters] [server-repeats]
 * </pre>
 *
 * Add {@code -XX:ActiveProcessorCount=1} to measure on one core. Client compute is the sum of one
 * site's five protocol steps, measured on every site of the round (the first 5 sites are JIT
 * warm-up and excluded). Unmasking is {@link SecAggServer#finish()}, replayed from the recorded
 * messages on fresh coordinators (first replay excluded).
 */
public final class SecAggRoundBenchmark {
  private static final String FEDERATION = "bench-consortium";
  private static final int WARMUP_SITES = 5;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /**
   * Wall-clock and the CPU time of all Java threads (masks are expanded on every core). On a shared
   * machine CPU time is the stable figure; wall time includes waiting for a core.
   */
  private record Stamp(long wall, long cpu) {
    static Stamp now() {
      long cpu = 0;
      for (long thread : THREADS.getAllThreadIds()) {
        cpu += Math.max(0, THREADS.getThreadCpuTime(thread));
      }
      return new Stamp(System.nanoTime(), cpu);
    }

    void addTo(long[] walls, long[] cpus, int index) {
      Stamp end = now();
      walls[index] += end.wall - wall;
      cpus[index] += end.cpu - cpu;
    }
  }

  private record Scenario(String name, GraphPlan plan, double dropout) {}

  private record Row(
      Scenario scenario,
      double clientCpuMs,
      double clientWallMs,
      double maskingCpuMs,
      double accumulateCpuMs,
      double unmaskCpuMs,
      double unmaskWallMs,
      long sentBytes,
      long plainBytes,
      double maxAbsError) {}

  public static void main(String[] args) throws Exception {
    int sites = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int length = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    GraphPlan sparse = GraphPlan.choose(sites, 0.1, 0.1, 40, 30);
    GraphPlan complete = GraphPlan.complete(sites, sites / 2 + 1);
    List<Scenario> scenarios =
        List.of(
            new Scenario("SecAgg complete, no dropout", complete, 0),
            new Scenario("SecAgg complete, 10% dropout", complete, 0.1),
            new Scenario("SecAgg+ " + describe(sparse) + ", no dropout", sparse, 0),
            new Scenario("SecAgg+ " + describe(sparse) + ", 10% dropout", sparse, 0.1));
    System.out.printf(
        "sites=%d parameters=%d (SecAgg+ plan from dropout 0.1, corrupt 0.1, sigma 40, eta 30)%n",
        sites, length);
    Keys keys = new Keys(sites);
    List<Row> rows = new ArrayList<>();
    for (Scenario scenario : scenarios) {
      rows.add(run(scenario, keys, sites, length, repeats));
    }
    System.out.println();
    System.out.printf(
        "medians over sites / replays; cpu = CPU time of all Java threads, %d core(s), wall = elapsed%n",
        Runtime.getRuntime().availableProcessors());
    System.out.printf(
        "%-40s %11s %11s %11s %13s %11s %11s %10s %10s %10s%n",
        "scenario",
        "client cpu",
        "client wall",
        "mask cpu",
        "add-input cpu",
        "unmask cpu",
        "unmask wall",
        "sent/site",
        "/float32",
        "max |err|");
    for (Row row : rows) {
      System.out.printf(
          "%-40s %8.1f ms %8.1f ms %8.1f ms %10.2f ms %8.1f ms %8.1f ms %10d %9.4fx %10.2e%n",
          row.scenario().name(),
          row.clientCpuMs(),
          row.clientWallMs(),
          row.maskingCpuMs(),
          row.accumulateCpuMs(),
          row.unmaskCpuMs(),
          row.unmaskWallMs(),
          row.sentBytes(),
          (double) row.sentBytes() / row.plainBytes(),
          row.maxAbsError());
    }
  }

  private static String describe(GraphPlan plan) {
    return "k=" + plan.degree() + " t=" + plan.threshold();
  }

  private static Row run(Scenario scenario, Keys keys, int sites, int length, int repeats) {
    System.out.println("running " + scenario.name());
    SecAggParameters parameters = new SecAggParameters(sites, length, scenario.plan(), 1.0, 10_000);
    byte[] graphSeed = new byte[32];
    new SecureRandom().nextBytes(graphSeed);
    RoundSetup setup = new RoundSetup(FEDERATION, 1, keys.ids, graphSeed, parameters);
    SecAggServer server = new SecAggServer(setup, keys.verification);
    SecureRandom random = new SecureRandom();
    List<SecAggClient> clients = new ArrayList<>();
    long[] clientNanos = new long[sites];
    long[] clientCpu = new long[sites];
    long[] maskingNanos = new long[sites];
    long[] maskingCpu = new long[sites];
    long[] sentBytes = new long[sites];
    List<KeyAdvert> adverts = new ArrayList<>();
    for (int i = 0; i < sites; i++) {
      SecAggClient client =
          new SecAggClient(
              setup, keys.ids.get(i), keys.pairs.get(i).getPrivate(), keys.verification, random);
      clients.add(client);
      Stamp start = Stamp.now();
      KeyAdvert advert = client.advertiseKeys();
      start.addTo(clientNanos, clientCpu, i);
      sentBytes[i] += advert.encode().length;
      adverts.add(advert);
      server.acceptAdvert(advert);
    }
    AdvertBundle bundle = server.closeAdverts();
    List<ShareBundle> shareBundles = new ArrayList<>();
    for (int i = 0; i < sites; i++) {
      Stamp start = Stamp.now();
      ShareBundle shares = clients.get(i).shareKeys(bundle);
      start.addTo(clientNanos, clientCpu, i);
      sentBytes[i] += shares.encode().length;
      shareBundles.add(shares);
      server.acceptShares(shares);
    }
    List<ShareDelivery> deliveries = server.closeShares();
    int dropped = (int) Math.round(scenario.dropout() * sites);
    boolean[] survives = new boolean[sites];
    Arrays.fill(survives, dropped, sites, true); // the first sites vanish after sharing keys
    float[][] updates = new float[2][length];
    SplittableRandom values = new SplittableRandom(7);
    for (float[] update : updates) {
      for (int j = 0; j < length; j++) {
        update[j] = (float) (values.nextDouble() * 2.2 - 1.1);
      }
    }
    List<MaskedInput> inputs = new ArrayList<>();
    long[] accumulateNanos = new long[sites];
    long[] accumulateCpu = new long[sites];
    double[] expected = new double[length];
    for (int i = 0; i < sites; i++) {
      Stamp start = Stamp.now();
      clients.get(i).receiveShares(deliveries.get(i));
      start.addTo(clientNanos, clientCpu, i);
      if (!survives[i]) {
        continue;
      }
      float[] update = updates[i % 2];
      long weight = 1 + i;
      start = Stamp.now();
      MaskedInput input = clients.get(i).maskedInput(update, weight);
      start.addTo(maskingNanos, maskingCpu, i);
      start.addTo(clientNanos, clientCpu, i);
      sentBytes[i] += input.encode().length;
      start = Stamp.now();
      server.acceptMaskedInput(input);
      start.addTo(accumulateNanos, accumulateCpu, i);
      inputs.add(input);
      for (int j = 0; j < length; j++) {
        expected[j] += weight * Math.max(-1.0, Math.min(1.0, update[j]));
      }
    }
    SurvivorSet survivors = server.closeInputs();
    List<SurvivorSignature> signatures = new ArrayList<>();
    for (int i = dropped; i < sites; i++) {
      Stamp start = Stamp.now();
      SurvivorSignature signature = clients.get(i).signSurvivors(survivors);
      start.addTo(clientNanos, clientCpu, i);
      sentBytes[i] += signature.encode().length;
      signatures.add(signature);
      server.acceptSurvivorSignature(signature);
    }
    List<UnmaskRequest> requests = server.closeSignatures();
    List<UnmaskResponse> responses = new ArrayList<>();
    for (int i = dropped; i < sites; i++) {
      Stamp start = Stamp.now();
      UnmaskResponse response = clients.get(i).unmaskResponse(requests.get(i - dropped));
      start.addTo(clientNanos, clientCpu, i);
      sentBytes[i] += response.encode().length;
      responses.add(response);
      server.acceptUnmaskResponse(response);
    }
    clients.clear();
    long[] unmaskNanos = new long[repeats];
    long[] unmaskCpu = new long[repeats];
    AggregateResult result = null;
    for (int r = -1; r < repeats; r++) {
      SecAggServer replay =
          r < 0
              ? server
              : replay(
                  setup, keys.verification, adverts, shareBundles, inputs, signatures, responses);
      Stamp start = Stamp.now();
      result = replay.finish();
      if (r >= 0) {
        start.addTo(unmaskNanos, unmaskCpu, r);
      }
    }
    double maxError = 0;
    for (int j = 0; j < length; j++) {
      maxError = Math.max(maxError, Math.abs(result.weightedSum()[j] - expected[j]));
    }
    double bound = parameters.sumErrorBound(sites - dropped);
    if (maxError > bound) {
      throw new AssertionError("aggregate off by " + maxError + " > bound " + bound);
    }
    int from = Math.max(dropped, WARMUP_SITES);
    long maxSent = Arrays.stream(sentBytes).max().orElse(0);
    return new Row(
        scenario,
        median(clientCpu, from),
        median(clientNanos, from),
        median(maskingCpu, from),
        median(accumulateCpu, from),
        median(unmaskCpu, 0),
        median(unmaskNanos, 0),
        maxSent,
        4L * length,
        maxError);
  }

  private static SecAggServer replay(
      RoundSetup setup,
      VerificationKeys keys,
      List<KeyAdvert> adverts,
      List<ShareBundle> shares,
      List<MaskedInput> inputs,
      List<SurvivorSignature> signatures,
      List<UnmaskResponse> responses) {
    SecAggServer server = new SecAggServer(setup, keys);
    adverts.forEach(server::acceptAdvert);
    server.closeAdverts();
    shares.forEach(server::acceptShares);
    server.closeShares();
    inputs.forEach(server::acceptMaskedInput);
    server.closeInputs();
    signatures.forEach(server::acceptSurvivorSignature);
    server.closeSignatures();
    responses.forEach(server::acceptUnmaskResponse);
    return server;
  }

  private static double median(long[] nanos, int from) {
    long[] sorted = Arrays.copyOfRange(nanos, from, nanos.length);
    Arrays.sort(sorted);
    return sorted[sorted.length / 2] / 1e6;
  }

  /** Long-term Ed25519 keys of the sites, as their startup kits would hold them. */
  private static final class Keys {
    final List<ParticipantId> ids = new ArrayList<>();
    final List<KeyPair> pairs = new ArrayList<>();
    final VerificationKeys verification;

    Keys(int sites) throws GeneralSecurityException {
      KeyPairGenerator generator =
          KeyPairGenerator.getInstance("Ed25519", new BouncyCastleProvider());
      Map<ParticipantId, PublicKey> publicKeys = new HashMap<>();
      for (int i = 0; i < sites; i++) {
        ParticipantId id = ParticipantId.of(String.format("hospital-%03d", i));
        KeyPair pair = generator.generateKeyPair();
        ids.add(id);
        pairs.add(pair);
        publicKeys.put(id, pair.getPublic());
      }
      verification = publicKeys::get;
    }
  }
}
