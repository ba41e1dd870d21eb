package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cohort.coordinator.Coordinator;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.training.LocalTrainer;
import org.cohort.site.training.TrainerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Patient values never leave the site: unique marker values are planted in a site's records and
 * every plaintext byte the site sends (captured after TLS decryption would see it, i.e. before
 * encryption) is searched for them as float32, float64 and text.
 */
class PatientDataStaysHomeTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b");
  private static final List<String> COLUMNS =
      List.of("age", "cholesterol", "systolic_bp", "glucose");

  @Test
  void noPlantedMarkerAppearsInAnyByteTheSiteSends(@TempDir Path dir) throws Exception {
    List<Double> markers = new ArrayList<>();
    List<String> names = new ArrayList<>();
    Path markedCsv = writeCohort(dir.resolve("hospital-a.csv"), 1, markers, names);
    Path plainCsv =
        writeCohort(dir.resolve("hospital-b.csv"), 2, new ArrayList<>(), new ArrayList<>());
    assertTrue(markers.size() >= 40);

    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, 2, 2, 60, COLUMNS.size() * 2).plain());
      float[] initial = coordinator.globalModel().parameters();
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      SiteAgent marked =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              csvTrainer(markedCsv),
              options ->
                  options.plaintextTap(() -> new PlaintextFrames(captured, envelope -> false)));
      federation.startSite("hospital-b", coordinator.port(), csvTrainer(plainCsv));
      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      assertEquals(2, marked.updatesSent());
      assertFalse(
          Arrays.equals(initial, coordinator.globalModel().parameters()),
          "the sites really trained");

      byte[] sent;
      synchronized (captured) {
        sent = captured.toByteArray();
      }
      // Positive control: the capture holds the site's plaintext (its hello names it).
      assertTrue(
          contains(sent, "hospital-a".getBytes(StandardCharsets.US_ASCII)),
          "capture must see plaintext");
      for (double marker : markers) {
        for (byte[] encoding : encodings(marker)) {
          assertFalse(contains(sent, encoding), "a planted patient value left the site: " + marker);
        }
      }
      for (String name : names) {
        assertFalse(
            contains(sent, name.getBytes(StandardCharsets.US_ASCII)),
            "a planted patient name left the site");
      }
    }
  }

  private static LocalTrainer csvTrainer(Path csv) {
    return TrainerFactory.fromConfig(
        new ObjectMapper()
            .valueToTree(
                Map.of(
                    "source",
                    "csv",
                    "path",
                    csv.getFileName().toString(),
                    "features",
                    COLUMNS,
                    "label",
                    "outcome")),
        csv.getParent());
  }

  /**
   * 150 patients; with markers, every 10th row carries unique marker values in every column and a
   * marker name.
   */
  private static Path writeCohort(Path file, int seed, List<Double> markers, List<String> names)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder csv =
        new StringBuilder("name,").append(String.join(",", COLUMNS)).append(",outcome\n");
    for (int row = 0; row < 150; row++) {
      double[] values = {
        random.nextDouble(30, 90),
        random.nextDouble(150, 280),
        random.nextDouble(100, 180),
        random.nextDouble(70, 160)
      };
      String name = "patient-" + row;
      if (seed == 1 && row % 10 == 0) {
        for (int c = 0; c < values.length; c++) {
          values[c] =
              7000 + row * 4 + c + 0.3125; // exact in float32 and float64, far from real values
          markers.add(values[c]);
        }
        name = "ZQX-MARKER-" + row;
        names.add(name);
      }
      double risk = (values[0] - 60) / 15 + (values[1] - 210) / 40;
      int outcome = random.nextDouble() < 1 / (1 + Math.exp(-risk)) ? 1 : 0;
      csv.append(name);
      for (double v : values) {
        csv.append(',').append(v);
      }
      csv.append(',').append(outcome).append('\n');
    }
    Files.writeString(file, csv);
    return file;
  }

  private static List<byte[]> encodings(double value) {
    List<byte[]> out = new ArrayList<>();
    for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
      out.add(ByteBuffer.allocate(4).order(order).putFloat((float) value).array());
      out.add(ByteBuffer.allocate(8).order(order).putDouble(value).array());
    }
    out.add(Double.toString(value).getBytes(StandardCharsets.US_ASCII));
    return out;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
