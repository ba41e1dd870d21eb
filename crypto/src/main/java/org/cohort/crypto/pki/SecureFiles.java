package org.cohort.crypto.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * File writes for key material: permissions are set when a file is created (never widened by a
 * later chmod), and every write replaces the file atomically so readers never see half a file.
 */
public final class SecureFiles {
  static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private SecureFiles() {}

  /**
   * Creates the directory as 0700 (missing parents with default permissions); an existing directory
   * is kept as is.
   */
  public static void createPrivateDirectory(Path directory) {
    try {
      Path parent = directory.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.createDirectory(directory, OWNER_ONLY_DIRECTORY);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(directory)) {
        throw new PkiException("not a directory: " + directory, e);
      }
    } catch (IOException e) {
      throw new PkiException("cannot create directory " + directory, e);
    }
  }

  static boolean isEmptyDirectory(Path directory) {
    try (var entries = Files.list(directory)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      throw new PkiException("cannot list " + directory, e);
    }
  }

  static void writePrivate(Path file, String text) {
    write(file, text, OWNER_ONLY_FILE);
  }

  static void writePublic(Path file, String text) {
    write(file, text, PUBLIC_FILE);
  }

  private static void write(Path file, String text, Set<PosixFilePermission> permissions) {
    Path directory = file.toAbsolutePath().getParent();
    Path temporary = null;
    try {
      temporary =
          Files.createTempFile(
              directory,
              "." + file.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(permissions));
      Files.writeString(temporary, text, StandardCharsets.UTF_8);
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(temporary);
      throw new PkiException("cannot write " + file, e);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // The write already failed; that failure is what the caller needs to see.
    }
  }
}
