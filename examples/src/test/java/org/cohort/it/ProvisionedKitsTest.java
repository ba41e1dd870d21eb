package org.cohort.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.provisioning.ProvisionCommand;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.training.TrainerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The starter configs that {@code provision init} writes are accepted as they are by the real
 * coordinator and site loaders, agree with each other, and run securely by default: what an
 * operator (and the docker compose file) starts from.
 */
class ProvisionedKitsTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d");

  @Test
  void starterConfigsLoadAndAgree(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    int exit =
        ProvisionCommand.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "init",
            "--out",
            dir.toString(),
            "--consortium",
            "Test Consortium",
            "--federation-id",
            "test",
            "--coordinator-host",
            "coordinator",
            "--sites",
            String.join(",", SITES),
            "--auditors",
            "auditor-1");
    assertEquals(0, exit, err.toString());

    CoordinatorConfig coordinator =
        CoordinatorConfig.load(dir.resolve("kits/coordinator/coordinator.yaml"));
    assertEquals(SITES, coordinator.sites().allowed());
    assertTrue(coordinator.secureAggregationEnabled(), "secure aggregation must be on by default");

    for (String site : SITES) {
      SiteConfig siteConfig =
          SiteConfig.load(dir.resolve("kits").resolve(site).resolve("site.yaml"));
      assertEquals(site, siteConfig.siteId());
      assertEquals("coordinator", siteConfig.coordinator().host());
      assertEquals(coordinator.listen().port(), siteConfig.coordinator().port());
      assertEquals(
          coordinator.model().inputFeatures(),
          TrainerFactory.inputFeatures(siteConfig.data(), siteConfig.configDirectory()),
          "the coordinator's model width must match what " + site + "'s data source produces");
    }
  }
}
