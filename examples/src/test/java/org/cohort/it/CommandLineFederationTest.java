package org.cohort.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.CoordinatorCommand;
import org.cohort.site.SiteCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The two CLIs, configured only by their YAML files, run a federation to the end and exit 0. */
class CommandLineFederationTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b");

  @Test
  void coordinatorAndSiteCommandsRunAFederation(@TempDir Path dir) throws Exception {
    ExecutorService processes = Executors.newFixedThreadPool(1 + SITES.size());
    try (TestFederation federation = new TestFederation(dir)) {
      int port;
      try (ServerSocket probe = new ServerSocket(0)) {
        port = probe.getLocalPort();
      }
      Path coordinatorYaml =
          federation.writeCoordinatorConfig(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 2, 60).plain(), port);
      CompletableFuture<Integer> coordinator =
          CompletableFuture.supplyAsync(
              () ->
                  new CommandLine(new CoordinatorCommand())
                      .execute("--config", coordinatorYaml.toString()),
              processes);
      List<CompletableFuture<Integer>> sites =
          SITES.stream()
              .map(
                  site -> {
                    Path siteYaml = federation.writeSiteConfig(site, port, 50);
                    return CompletableFuture.supplyAsync(
                        () ->
                            new CommandLine(new SiteCommand())
                                .execute("--config", siteYaml.toString()),
                        processes);
                  })
              .toList();
      assertEquals(0, coordinator.get(90, TimeUnit.SECONDS));
      for (CompletableFuture<Integer> site : sites) {
        assertEquals(0, site.get(30, TimeUnit.SECONDS));
      }
    } finally {
      processes.shutdownNow();
    }
  }
}
