package org.cohort.crypto.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The CA's record of every certificate it issued, one tab-separated line each: {@code serial-hex
 * participant role purpose not-after revoked-at|-}.
 */
final class CertificateIndex {
  private static final String HEADER =
      "# serial\tparticipant\trole\tpurpose\tnot_after\trevoked_at";
  private static final String NOT_REVOKED = "-";

  private CertificateIndex() {}

  static List<IssuedCertificate> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PkiException("cannot read certificate index " + file, e);
    }
    List<IssuedCertificate> entries = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      try {
        entries.add(parse(line));
      } catch (IllegalArgumentException | DateTimeParseException e) {
        throw new PkiException(
            "certificate index " + file + " line " + (i + 1) + " is malformed", e);
      }
    }
    return entries;
  }

  static void write(Path file, List<IssuedCertificate> entries) {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (IssuedCertificate entry : entries) {
      text.append(entry.serial().toString(16))
          .append('\t')
          .append(entry.participant().id())
          .append('\t')
          .append(entry.participant().role().subjectValue())
          .append('\t')
          .append(entry.purpose().name().toLowerCase(Locale.ROOT))
          .append('\t')
          .append(entry.notAfter())
          .append('\t')
          .append(entry.revokedAt().map(Instant::toString).orElse(NOT_REVOKED))
          .append('\n');
    }
    SecureFiles.writePublic(file, text.toString());
  }

  private static IssuedCertificate parse(String line) {
    String[] fields = line.split("\t", -1);
    if (fields.length != 6) {
      throw new IllegalArgumentException("expected 6 fields");
    }
    Role role;
    try {
      role = Role.fromSubjectValue(fields[2]);
    } catch (UntrustedPeerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new IssuedCertificate(
        new BigInteger(fields[0], 16),
        new ParticipantIdentity(fields[1], role),
        IssuedCertificate.Purpose.valueOf(fields[3].toUpperCase(Locale.ROOT)),
        Instant.parse(fields[4]),
        fields[5].equals(NOT_REVOKED) ? Optional.empty() : Optional.of(Instant.parse(fields[5])));
  }
}
