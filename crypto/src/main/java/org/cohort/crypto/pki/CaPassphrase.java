package org.cohort.crypto.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The passphrase that encrypts the CA's private key. Read from a file (its first line) or from the
 * environment variable {@value #ENVIRONMENT_VARIABLE}; never from the command line, where other
 * users of the machine could see it. {@link #toString} never shows it.
 */
public final class CaPassphrase {
  public static final String ENVIRONMENT_VARIABLE = "COHORT_CA_PASSPHRASE";

  /** Fewer characters than this are refused when a key is written. */
  public static final int MIN_LENGTH = 12;

  private final char[] characters;

  private CaPassphrase(char[] characters) {
    if (characters.length == 0) {
      throw new IllegalArgumentException("the CA passphrase is empty");
    }
    this.characters = characters;
  }

  public static CaPassphrase of(char[] characters) {
    return new CaPassphrase(characters.clone());
  }

  /** The first line of {@code file} (UTF-8; a trailing newline is not part of it). */
  public static CaPassphrase fromFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PkiException("cannot read the CA passphrase file " + file);
    }
    try {
      CharBuffer decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      int end = 0;
      while (end < decoded.limit() && decoded.get(end) != '\n' && decoded.get(end) != '\r') {
        end++;
      }
      char[] line = Arrays.copyOf(decoded.array(), end);
      Arrays.fill(decoded.array(), '\0');
      return new CaPassphrase(line);
    } catch (CharacterCodingException e) {
      throw new PkiException("the CA passphrase file " + file + " is not UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /**
   * The passphrase from {@code file} if given, else from {@value #ENVIRONMENT_VARIABLE} if set,
   * else none.
   */
  public static Optional<CaPassphrase> resolve(Optional<Path> file, Map<String, String> env) {
    if (file.isPresent()) {
      return Optional.of(fromFile(file.get()));
    }
    String value = env.get(ENVIRONMENT_VARIABLE);
    return value == null || value.isEmpty()
        ? Optional.empty()
        : Optional.of(new CaPassphrase(value.toCharArray()));
  }

  /** Refuses a passphrase too short to protect a key that is kept offline for years. */
  public CaPassphrase requireStrongEnough() {
    if (characters.length < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "the CA passphrase must have at least " + MIN_LENGTH + " characters");
    }
    return this;
  }

  char[] characters() {
    return characters;
  }

  @Override
  public String toString() {
    return "CaPassphrase[hidden]";
  }

  /** The CA key is encrypted and no passphrase was given. */
  public static final class PassphraseRequiredException extends PkiException {
    private static final long serialVersionUID = 1L;

    PassphraseRequiredException(Path file) {
      super(
          file
              + " is encrypted: give the passphrase with --ca-passphrase-file or "
              + ENVIRONMENT_VARIABLE);
    }
  }

  /** The passphrase does not decrypt the CA key. */
  public static final class WrongPassphraseException extends PkiException {
    private static final long serialVersionUID = 1L;

    WrongPassphraseException(Path file) {
      super("the CA passphrase does not decrypt " + file);
    }
  }
}
