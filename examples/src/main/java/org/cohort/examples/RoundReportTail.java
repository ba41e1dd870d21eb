package org.cohort.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cohort.coordinator.EvaluationTable;

/**
 * Follows the coordinator's JSON Lines round report from another process: each {@link #poll()}
 * returns the rounds whose lines were completed since the last call (a line still being written is
 * left for the next call). The line after the last round, the cross-site evaluation of the final
 * model, is kept for {@link #evaluation()}.
 */
final class RoundReportTail {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private long consumed;
  private EvaluationTable evaluation;

  RoundReportTail(Path file) {
    this.file = file;
  }

  /** The cross-site evaluation, once its line has been polled. */
  Optional<EvaluationTable> evaluation() {
    return Optional.ofNullable(evaluation);
  }

  List<RoundRecord> poll() {
    List<RoundRecord> rounds = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long available = channel.size() - consumed;
      if (available <= 0) {
        return rounds;
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(available, 1 << 24));
      channel.read(buffer, consumed);
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      if (end < 0) {
        return rounds;
      }
      for (String line : text.substring(0, end).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = JSON.readTree(line);
        if (node.has(CrossSiteReport.KEY)) {
          evaluation = CrossSiteReport.fromJson(node.get(CrossSiteReport.KEY));
        } else {
          rounds.add(RoundRecord.fromJson(node));
        }
      }
      consumed += text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
      return rounds;
    } catch (NoSuchFileException e) {
      return rounds;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the coordinator's round report " + file, e);
    }
  }
}
