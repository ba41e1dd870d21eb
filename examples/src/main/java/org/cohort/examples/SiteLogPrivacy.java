package org.cohort.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cohort.privacy.accounting.PrivacySpent;

/**
 * A demo hospital's own privacy account, read from its log: the site agent logs, after every
 * release, the ε its records have spent so far (site-agent's PrivacySpending). The demo's sites are
 * separate processes, so their log is where their accounting can be read; the last line is the
 * total.
 */
final class SiteLogPrivacy {

  /** PrivacySpending's line: "... have spent epsilon 1.2345 at delta 1.0E-5 over 7 releases". */
  private static final Pattern SPENT =
      Pattern.compile(
          "records have spent epsilon ([0-9.]+(?:[eE][-+]?[0-9]+)?) at delta"
              + " ([0-9.]+(?:[eE][-+]?[0-9]+)?) over [0-9]+ releases");

  private SiteLogPrivacy() {}

  /** The last total the site logged; empty if it logged none (it released nothing private). */
  static Optional<PrivacySpent> lastSpent(Path log) {
    if (!Files.isRegularFile(log)) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(log)) {
      return lines
          .map(SPENT::matcher)
          .filter(Matcher::find)
          .reduce((first, second) -> second)
          .map(
              m ->
                  // The order of the Rényi divergence is not logged; NaN says so.
                  new PrivacySpent(
                      Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.NaN));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }
}
