package org.cohort.benchmarks.round;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.management.OperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.cohort.benchmarks.aggregation.HeapWatch;
import org.cohort.benchmarks.transport.TransportCeiling;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.round.AggregationPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Whole federated rounds over loopback mutual TLS: a real {@code Coordinator} in its own JVM
 * ({@link CoordinatorProcess}, started here with a fixed heap) and N real {@link SiteAgent}s in
 * this JVM whose trainer only echoes the model back plus a constant ({@link EchoTrainer}), so what
 * is measured is the framework: TLS, framing, chunk streaming, staging, the weighted sum and the
 * checkpoint. Certificates come from a fresh {@link ConsortiumCa}; the coordinator is configured by
 * a coordinator.yaml that this harness writes and {@code CoordinatorConfig.load} reads, so any
 * coordinator option (e.g. a secure-aggregation section) can be added to the run the same way.
 *
 * <p>Each configuration runs {@code --warmup-rounds} rounds that are not counted, then {@code
 * --rounds} measured ones; the table shows the median round time (the coordinator's own
 * RoundSummary duration: task sent to new model checkpointed), the coordinator's CPU time per
 * round, the sites' JVM CPU time per round, the coordinator's peak heap and its peak RSS (VmHWM).
 */
@Command(
    name = "round-benchmark",
    mixinStandardHelpOptions = true,
    description = "Median time of whole federated rounds with echo trainers over loopback mTLS.")
public final class RoundBenchmark implements Callable<Integer> {

  private static final String FEDERATION = "bench-federation";
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  @Option(
      names = "--sites",
      split = ",",
      defaultValue = "10,50",
      description = "numbers of sites (default ${DEFAULT-VALUE})")
  List<Integer> siteCounts;

  @Option(
      names = "--params",
      split = ",",
      defaultValue = "1000000,10000000",
      description = "model parameters (default ${DEFAULT-VALUE})")
  List<Integer> parameterCounts;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description = "measured rounds per configuration (default ${DEFAULT-VALUE})")
  int rounds;

  @Option(
      names = "--warmup-rounds",
      defaultValue = "1",
      description = "uncounted first rounds (default ${DEFAULT-VALUE})")
  int warmupRounds;

  @Option(
      names = "--coordinator-heap",
      defaultValue = "512m",
      description = "the coordinator JVM's -Xmx (default ${DEFAULT-VALUE})")
  String coordinatorHeap;

  @Option(
      names = "--chunk-elements",
      defaultValue = "262144",
      description = "transport.chunk_elements (default ${DEFAULT-VALUE})")
  int chunkElements;

  @Option(
      names = "--max-frame-bytes",
      defaultValue = "4194304",
      description = "transport.max_frame_bytes (default ${DEFAULT-VALUE})")
  int maxFrameBytes;

  @Option(
      names = "--staging-buffers",
      defaultValue = "4",
      description = "aggregation.staging_buffers (default ${DEFAULT-VALUE})")
  int stagingBuffers;

  @Option(
      names = "--deadline-seconds",
      defaultValue = "600",
      description =
          "rounds.deadline_seconds; a round still open then is abandoned (default ${DEFAULT-VALUE})")
  double deadlineSeconds;

  @Option(
      names = "--idle-timeout-ms",
      description = "transport.idle_timeout_ms (default: the coordinator's own)")
  Integer idleTimeoutMs;

  @Option(
      names = "--coordinator-jvm-option",
      description = "extra option for the coordinator JVM (repeatable)")
  List<String> coordinatorJvmOptions = new ArrayList<>();

  /**
   * plain: secure_aggregation.enabled false; secure: the default secure aggregation (graph auto);
   * distributed: secure, and each round one distributed-DP step (noise multiplier 1, clip 1, 20-bit
   * integer encoding with the sites' noise shares; the echo trainer's "clipped gradient sum" is its
   * constant update).
   */
  enum Aggregation {
    plain,
    secure,
    distributed
  }

  @Option(
      names = "--aggregation",
      split = ",",
      defaultValue = "plain",
      description =
          "plain and/or secure rounds, measured in the same run (default ${DEFAULT-VALUE})")
  List<Aggregation> aggregations = new ArrayList<>();

  @Option(
      names = "--table",
      description =
          "run the rows of issue 13 (plain 10x1M, 50x1M, 10x10M, 50x10M; secure 10x1M, 50x1M),"
              + " measure the loopback mTLS ceiling first, and print one table with the fraction"
              + " of the ceiling and the Flower figures; --sites, --params and --aggregation are"
              + " ignored")
  boolean table;

  @Option(
      names = "--secure-max-weight",
      description =
          "secure_aggregation.max_weight (the echo sites report 100 examples; the default 100000"
              + " cannot be summed over 100 sites in 32 bits)")
  Long secureMaxWeight;

  @Option(
      names = "--secure-phase-deadline-seconds",
      description = "secure_aggregation.phase_deadline_seconds (default: the coordinator's own)")
  Double securePhaseDeadlineSeconds;

  @Option(
      names = "--ceiling-gbps",
      description =
          "with --table: the ceiling in GB/s instead of measuring it first (e.g. a figure measured"
              + " on a quiet machine with TransportCeiling)")
  Double ceilingGbps;

  @Option(
      names = "--work",
      description = "directory for the CA, kits, configs and checkpoints (default: a new temp dir)")
  Path work;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new RoundBenchmark()).execute(args));
  }

  private record Result(
      Aggregation aggregation,
      int sites,
      int parameters,
      List<Long> roundNanos,
      List<Long> cpuNanos,
      List<Long> siteCpuNanos,
      double maxError,
      long heapPeak,
      long residentPeak,
      String loadBefore,
      String loadAfter) {
    static double median(List<Long> values) {
      List<Long> sorted = values.stream().sorted().toList();
      int n = sorted.size();
      return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
  }

  /** One measured configuration: a row of the table. */
  record Configuration(Aggregation aggregation, int sites, int parameters) {
    static final List<Configuration> ISSUE_ROWS =
        List.of(
            new Configuration(Aggregation.plain, 10, 1_000_000),
            new Configuration(Aggregation.plain, 50, 1_000_000),
            new Configuration(Aggregation.plain, 10, 10_000_000),
            new Configuration(Aggregation.plain, 50, 10_000_000),
            new Configuration(Aggregation.secure, 10, 1_000_000),
            new Configuration(Aggregation.secure, 50, 1_000_000));

    /** Bytes a round moves over TLS: the model to every site and an update (or residues) back. */
    long payloadBytes() {
      return 2L * sites * parameters * Float.BYTES;
    }

    /**
     * Issue 13's figures on the same machine type: Flower 1.6 without TLS (seconds, null where the
     * issue has none) and Cohort before the work of the issue.
     */
    String flower() {
      return switch (aggregation + " " + sites + "x" + parameters) {
        case "plain 10x1000000" -> "0.149 s";
        case "plain 50x1000000" -> "0.733 s";
        case "plain 10x10000000" -> "3.04 s";
        case "plain 50x10000000" -> "21.6 s (server 12.4 GiB)";
        default -> "–";
      };
    }

    String before() {
      return switch (aggregation + " " + sites + "x" + parameters) {
        case "plain 10x1000000" -> "0.57 s";
        case "plain 50x1000000" -> "1.31 s";
        case "plain 10x10000000" -> "1.68 s";
        case "plain 50x10000000" -> "stalled";
        case "secure 10x1000000" -> "0.83 s";
        case "secure 50x1000000" -> "19.5 s";
        default -> "–";
      };
    }
  }

  private List<Configuration> configurations() {
    List<Configuration> all = new ArrayList<>();
    for (int parameters : parameterCounts) {
      for (int sites : siteCounts) {
        for (Aggregation aggregation : aggregations) {
          all.add(new Configuration(aggregation, sites, parameters));
        }
      }
    }
    return all;
  }

  private static List<Long> millis(List<Long> nanos) {
    return nanos.stream().map(ns -> ns / 1_000_000).toList();
  }

  @Override
  public Integer call() throws Exception {
    Path root =
        work != null
            ? Files.createDirectories(work)
            : Files.createTempDirectory("cohort-round-bench");
    int maxSites =
        (table ? Configuration.ISSUE_ROWS : configurations())
            .stream().mapToInt(Configuration::sites).max().orElseThrow();
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "bench-consortium");
    ca.issue(
        new ParticipantIdentity("coordinator", Role.COORDINATOR),
        root.resolve("kits/coordinator"),
        List.of("127.0.0.1"));
    List<String> allSites =
        IntStream.rangeClosed(1, maxSites).mapToObj(i -> String.format("site-%03d", i)).toList();
    for (String site : allSites) {
      ca.issue(new ParticipantIdentity(site, Role.SITE), root.resolve("kits/" + site), List.of());
    }
    System.out.printf(
        "round benchmark: echo trainers, loopback mTLS (%s), coordinator -Xmx%s, %d+%d rounds, "
            + "%,d elements per chunk, %d staging buffers, sites in one JVM with max heap %s; work dir %s%n",
        MutualTls.preferredProvider(),
        coordinatorHeap,
        warmupRounds,
        rounds,
        chunkElements,
        stagingBuffers,
        HeapWatch.mib(HeapWatch.maxHeapBytes()),
        root);
    List<Configuration> configurations = table ? Configuration.ISSUE_ROWS : configurations();
    // The ceiling is measured before any round, while this JVM has no sites yet.
    double ceiling =
        !table
            ? 0
            : ceilingGbps != null
                ? ceilingGbps * 1e9
                : TransportCeiling.aggregateBytesPerSecond(10, 512);
    List<Result> results = new ArrayList<>();
    for (Configuration c : configurations) {
      Result result = run(root, allSites.subList(0, c.sites()), c.parameters(), c.aggregation());
      results.add(result);
      System.out.printf(
          "  %s N=%d P=%,d: rounds %s ms, coordinator CPU %s ms, sites' CPU %s ms, load %s -> %s%n",
          c.aggregation(),
          c.sites(),
          c.parameters(),
          millis(result.roundNanos()),
          millis(result.cpuNanos()),
          millis(result.siteCpuNanos()),
          result.loadBefore(),
          result.loadAfter());
    }
    if (table) {
      printIssueTable(results, ceiling);
      return 0;
    }
    printTable(results);
    return 0;
  }

  private Result run(Path root, List<String> sites, int parameters, Aggregation aggregation)
      throws Exception {
    String name = aggregation + "-n" + sites.size() + "-p" + parameters;
    Path config = writeCoordinatorConfig(root, name, sites, parameters, aggregation);
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + coordinatorHeap,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    command.addAll(coordinatorJvmOptions);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            CoordinatorProcess.class.getName(),
            config.toString()));
    String loadBefore = HeapWatch.loadAverage();
    Process coordinator =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<SiteAgent> agents = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(coordinator.getInputStream(), StandardCharsets.UTF_8))) {
      int port = Integer.parseInt(expect(out, "LISTENING")[1]);
      for (String site : sites) {
        agents.add(
            SiteAgent.builder(siteConfig(root, site, port, aggregation), new EchoTrainer())
                .build()
                .start());
      }
      List<Long> roundNanos = new ArrayList<>();
      List<Long> cpuNanos = new ArrayList<>();
      List<Long> siteCpuNanos = new ArrayList<>();
      long siteCpu = 0;
      for (int r = 1; r <= warmupRounds + rounds; r++) {
        String[] round = expect(out, "ROUND");
        // Rounds run back to back, so the sites' CPU between two round ends is one round's.
        long siteCpuBefore = siteCpu;
        siteCpu = OS.getProcessCpuTime();
        if (!"COMPLETED".equals(round[2])) {
          throw new IllegalStateException(name + ": round " + round[1] + " " + round[2]);
        }
        if (r > warmupRounds) {
          roundNanos.add(Long.parseLong(round[3]));
          cpuNanos.add(Long.parseLong(round[4]));
          siteCpuNanos.add(siteCpu - siteCpuBefore);
        }
      }
      double maxError = Double.parseDouble(expect(out, "CHECK")[1]);
      String[] memory = expect(out, "MEMORY");
      CompletableFuture.allOf(
              agents.stream().map(SiteAgent::finished).toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      return new Result(
          aggregation,
          sites.size(),
          parameters,
          roundNanos,
          cpuNanos,
          siteCpuNanos,
          maxError,
          Long.parseLong(memory[1]),
          Long.parseLong(memory[2]),
          loadBefore,
          HeapWatch.loadAverage());
    } finally {
      agents.forEach(SiteAgent::close);
      if (!coordinator.waitFor(30, TimeUnit.SECONDS)) {
        coordinator.destroyForcibly();
      }
    }
  }

  /**
   * The next line starting with {@code tag}, split on spaces; fails if the coordinator exits first.
   */
  private static String[] expect(BufferedReader out, String tag) throws IOException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith(tag + " ")) {
        return line.split(" ");
      }
    }
    throw new IllegalStateException("the coordinator exited before reporting " + tag);
  }

  private Path writeCoordinatorConfig(
      Path root, String name, List<String> sites, int parameters, Aggregation aggregation) {
    CoordinatorConfig config =
        new CoordinatorConfig(
            FEDERATION,
            new CoordinatorConfig.Endpoint("127.0.0.1", 0),
            null,
            CoordinatorConfig.Kit.of(
                KitFiles.in(root.resolve("kits/coordinator"))
                    .withRevocationList(
                        root.resolve("ca").resolve(ConsortiumCa.REVOCATION_LIST_FILE))),
            new CoordinatorConfig.Sites(sites, sites.size()),
            new CoordinatorConfig.Rounds(warmupRounds + rounds, deadlineSeconds),
            // logreg over P-1 features has exactly P parameters (weights plus one bias).
            new CoordinatorConfig.Model("logreg", parameters - 1, List.of(), 42),
            new CoordinatorConfig.Training(1, 32, 0.1, "sgd"),
            new CoordinatorConfig.Checkpoint(root.resolve("checkpoints").resolve(name)),
            new CoordinatorConfig.Transport(maxFrameBytes, chunkElements, null, idleTimeoutMs),
            new CoordinatorConfig.Aggregation(stagingBuffers, null, null),
            aggregation == Aggregation.plain
                ? CoordinatorConfig.SecureAggregation.DISABLED
                : new CoordinatorConfig.SecureAggregation(
                    true,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    secureMaxWeight,
                    securePhaseDeadlineSeconds),
            null,
            aggregation == Aggregation.distributed
                ? new CoordinatorConfig.Privacy(
                    "distributed",
                    null,
                    null,
                    1.0,
                    null,
                    1.0,
                    0.01,
                    (double) sites.size(),
                    null,
                    null,
                    null,
                    null)
                : null);
    Path file = root.resolve("coordinator-" + name + ".yaml");
    config.write(file);
    return file;
  }

  private static SiteConfig siteConfig(Path root, String site, int port, Aggregation aggregation) {
    return SiteConfig.starter(
            site,
            new SiteConfig.Endpoint("127.0.0.1", port),
            root.resolve("kits/" + site),
            JsonNodeFactory.instance.objectNode())
        // A site refuses plain aggregation unless its own config allows it.
        .withPolicy(
            aggregation == Aggregation.plain
                ? new SiteConfig.Policy(AggregationPolicy.PLAIN_ALLOWED)
                : null)
        .validated();
  }

  private static void printIssueTable(List<Result> results, double ceilingBytesPerSecond) {
    System.out.println();
    System.out.printf(
        "Ceiling: %.2f GB/s aggregate loopback mTLS (TransportCeiling, 10 connections); bytes at"
            + " the ceiling = 2 x sites x parameters x 4 B / ceiling; fraction = that / median"
            + " round.%n%n",
        ceilingBytesPerSecond / 1e9);
    System.out.println(
        "| aggregation | sites × parameters | median round | bytes at the ceiling | fraction of the"
            + " ceiling | coordinator CPU/round | sites' CPU/round | coord. heap peak | coord. RSS"
            + " peak | Flower 1.6, no TLS | Cohort before | load (1/5/15) before -> after |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (Result r : results) {
      Configuration c = new Configuration(r.aggregation(), r.sites(), r.parameters());
      double round = Result.median(r.roundNanos()) / 1e9;
      double atCeiling = c.payloadBytes() / ceilingBytesPerSecond;
      System.out.printf(
          "| %s | %d × %s | %.3f s | %.3f s | %.0f%% | %.2f s | %.2f s | %s | %s | %s | %s | %s -> %s"
              + " |%n",
          r.aggregation(),
          r.sites(),
          r.parameters() / 1_000_000 + "M",
          round,
          atCeiling,
          100 * atCeiling / round,
          Result.median(r.cpuNanos()) / 1e9,
          Result.median(r.siteCpuNanos()) / 1e9,
          HeapWatch.mib(r.heapPeak()),
          HeapWatch.mib(r.residentPeak()),
          c.flower(),
          c.before(),
          r.loadBefore(),
          r.loadAfter());
    }
  }

  private static void printTable(List<Result> results) {
    System.out.println();
    System.out.printf(
        "| aggregation | sites | parameters | median round | coordinator CPU/round | sites' CPU/round | coord. heap peak"
            + " | coord. RSS peak (VmHWM) | max error | load avg (1/5/15) before -> after |%n");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (Result r : results) {
      System.out.printf(
          "| %s | %d | %,d | %.3f s | %.2f s | %.2f s | %s | %s | %.1e | %s -> %s |%n",
          r.aggregation(),
          r.sites(),
          r.parameters(),
          Result.median(r.roundNanos()) / 1e9,
          Result.median(r.cpuNanos()) / 1e9,
          Result.median(r.siteCpuNanos()) / 1e9,
          HeapWatch.mib(r.heapPeak()),
          HeapWatch.mib(r.residentPeak()),
          r.maxError(),
          r.loadBefore(),
          r.loadAfter());
    }
  }
}
