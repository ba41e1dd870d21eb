package org.cohort.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.cohort.provisioning.ProvisionCommand;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.SyntheticCohort;

/**
 * The demo consortium on disk: provisioned with the real {@code provision init} (CA, one startup
 * kit per participant, starter configs), then the starter configs edited as an operator would:
 * free loopback ports, the round plan, the model and training settings, and each hospital's
 * synthetic data.
 */
final class DemoConsortium {

  static final String FEDERATION_ID = "cohort-demo";
  /** Generous for rounds that take well under a second, so a slow machine never abandons one. */
  static final int ROUND_DEADLINE_SECONDS = 60;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  /** Where everything is. */
  record Layout(Path pki, Path coordinatorConfig, List<Path> siteConfigs, Path checkpoint, int port, int metricsPort) {}

  /** What the federation trains. */
  record Plan(List<SyntheticCohort.HospitalProfile> hospitals, long seed, int rounds, ModelKind model,
      TrainingSettings training) {

    List<String> siteIds() {
      return hospitals.stream().map(SyntheticCohort.HospitalProfile::name).toList();
    }
  }

  private DemoConsortium() {}

  static Layout create(Path pki, Plan plan) {
    int port = freePort();
    int metricsPort = freePort();
    StringWriter provisionOutput = new StringWriter();
    int exit = ProvisionCommand.run(new PrintWriter(provisionOutput), new PrintWriter(provisionOutput),
        "init", "--out", pki.toString(), "--consortium", "Cohort Demo Consortium", "--federation-id", FEDERATION_ID,
        "--coordinator-host", "localhost", "--coordinator-port", Integer.toString(port),
        "--sites", String.join(",", plan.siteIds()));
    if (exit != 0) {
      throw new IllegalStateException("provisioning failed: " + provisionOutput.toString().strip());
    }
    Path kits = pki.resolve("kits");
    Path coordinatorConfig = kits.resolve("coordinator/coordinator.yaml");
    edit(coordinatorConfig, config -> {
      config.putObject("listen").put("host", "127.0.0.1").put("port", port);
      config.putObject("metrics").put("host", "127.0.0.1").put("port", metricsPort);
      // Every hospital in every round, so the federated model has seen all of them from round 1.
      config.with("sites").put("min_per_round", plan.hospitals().size());
      config.putObject("rounds").put("count", plan.rounds()).put("deadline_seconds", ROUND_DEADLINE_SECONDS);
      ObjectNode model = config.putObject("model").put("kind", plan.model().configName())
          .put("input_features", SyntheticCohort.FEATURE_COUNT);
      plan.model().hiddenSizes().forEach(model.putArray("hidden_sizes")::add);
      model.put("seed", plan.seed());
      TrainingSettings training = plan.training();
      config.putObject("training").put("epochs", training.getEpochs()).put("batch_size", training.getBatchSize())
          .put("learning_rate", training.getLearningRate()).put("optimizer", "sgd").put("seed", training.getSeed());
    });
    List<Path> siteConfigs = new ArrayList<>();
    for (int index = 0; index < plan.hospitals().size(); index++) {
      int hospital = index;
      Path siteConfig = kits.resolve(plan.siteIds().get(index)).resolve("site.yaml");
      edit(siteConfig, config -> {
        config.putObject("data").put("source", "synthetic").put("hospital", hospital).put("seed", plan.seed());
        // The coordinator JVM may start after this one: retry quickly at first.
        config.putObject("reconnect").put("initial_delay_ms", 250).put("max_delay_ms", 2000);
      });
      siteConfigs.add(siteConfig);
    }
    return new Layout(pki, coordinatorConfig, siteConfigs,
        kits.resolve("coordinator/checkpoints").resolve(CheckpointFile.FILE_NAME), port, metricsPort);
  }

  private static void edit(Path file, Consumer<ObjectNode> edit) {
    try {
      ObjectNode config = (ObjectNode) YAML.readTree(file.toFile());
      edit.accept(config);
      YAML.writeValue(file.toFile(), config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot edit " + file, e);
    }
  }

  private static int freePort() {
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free local port", e);
    }
  }
}
