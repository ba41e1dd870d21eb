package org.cohort.provisioning;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cohort.crypto.pki.CaPassphrase;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.IssuedCertificate;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.SecureFiles;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.pki.UnknownParticipantException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Provisioning CLI: creates the consortium CA and startup kits, adds sites later, revokes
 * participants. Layout: {@code DIR/ca/} (CA key 0600, ca.pem, index.tsv, crl.pem, federation.yaml)
 * and {@code DIR/kits/<id>/} per participant.
 */
@Command(
    name = "provision",
    mixinStandardHelpOptions = true,
    description = "Creates and maintains the consortium CA and the participants' startup kits.",
    subcommands = {
      ProvisionCommand.Init.class,
      ProvisionCommand.AddSite.class,
      ProvisionCommand.Revoke.class,
      ProvisionCommand.Reissue.class,
      ProvisionCommand.RefreshCrl.class
    })
public final class ProvisionCommand implements Runnable {
  static final String COORDINATOR_ID = "coordinator";
  private static final String CA_DIRECTORY = "ca";
  private static final String KITS_DIRECTORY = "kits";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing subcommand: init, add-site, revoke, reissue or refresh-crl");
  }

  public static void main(String... args) {
    int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    System.exit(code);
  }

  /** Runs the CLI; bad input prints one line to {@code err} and returns 2. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new ProvisionCommand());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(
        (failure, arguments) -> {
          err.println("provision: " + failure.getMessage());
          return CommandLine.ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (failure, command, parsed) -> {
          if (failure instanceof PkiException
              || failure instanceof IllegalArgumentException
              || failure instanceof UncheckedIOException) {
            err.println("provision: " + failure.getMessage());
            return CommandLine.ExitCode.USAGE;
          }
          throw failure;
        });
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** How provisioning opens the CA: its key's passphrase and the validity of the lists it signs. */
  static final class CaOptions {
    @Option(
        names = "--ca-passphrase-file",
        paramLabel = "FILE",
        description =
            "File whose first line is the passphrase of the CA key (else the environment variable "
                + CaPassphrase.ENVIRONMENT_VARIABLE
                + "). With init, the key is written encrypted (PKCS#8, AES-256) under it.")
    Path passphraseFile;

    @Option(
        names = "--crl-validity-days",
        paramLabel = "DAYS",
        defaultValue = "7",
        description =
            "How long a revocation list signed now stays valid (default 7). A site stops working"
                + " once its newest list has expired: refresh well before (refresh-crl).")
    int crlValidityDays;

    Optional<CaPassphrase> passphrase() {
      return CaPassphrase.resolve(Optional.ofNullable(passphraseFile), System.getenv());
    }

    Duration crlValidity() {
      return Duration.ofDays(crlValidityDays);
    }

    ConsortiumCa load(Path caDir) {
      return ConsortiumCa.load(caDir, passphrase()).withRevocationListValidity(crlValidity());
    }
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = "Creates the CA and kits for the coordinator, every site and every auditor.")
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory to create.")
    Path out;

    @Option(
        names = "--consortium",
        required = true,
        paramLabel = "NAME",
        description = "Consortium name (O= of every certificate).")
    String consortium;

    @Option(names = "--federation-id", required = true, paramLabel = "ID")
    String federationId;

    @Option(
        names = "--coordinator-host",
        required = true,
        split = ",",
        paramLabel = "HOST",
        description =
            "DNS names or IP addresses sites use to reach the coordinator (the first goes into "
                + "site.yaml); the coordinator's certificate names exactly these.")
    List<String> coordinatorHosts;

    @Option(names = "--coordinator-port", defaultValue = "7443", paramLabel = "PORT")
    int coordinatorPort;

    @Option(
        names = "--sites",
        required = true,
        split = ",",
        paramLabel = "ID",
        description = "Site ids (>= 2).")
    List<String> sites;

    @Option(names = "--auditors", split = ",", paramLabel = "ID")
    List<String> auditors = new ArrayList<>();

    @Override
    public Integer call() {
      validate();
      Path caDir = out.resolve(CA_DIRECTORY);
      Path kits = out.resolve(KITS_DIRECTORY);
      if (Files.exists(caDir) || Files.exists(kits)) {
        throw new ParameterException(spec.commandLine(), out + " already holds a CA or kits");
      }
      StarterConfigs.Federation federation =
          new StarterConfigs.Federation(
              federationId, consortium, List.copyOf(coordinatorHosts), coordinatorPort);
      Optional<CaPassphrase> passphrase =
          caOptions.passphrase().map(CaPassphrase::requireStrongEnough);
      ConsortiumCa ca = ConsortiumCa.create(caDir, consortium, passphrase, caOptions.crlValidity());
      StarterConfigs.write(caDir.resolve(StarterConfigs.FEDERATION_FILE), federation);
      SecureFiles.createPrivateDirectory(kits);

      PrintWriter printer = spec.commandLine().getOut();
      printer.println(
          "CA: "
              + caDir
              + (passphrase.isPresent()
                  ? " (" + ConsortiumCa.PRIVATE_KEY_FILE + " encrypted; keep it and the passphrase"
                  : " (" + ConsortiumCa.PRIVATE_KEY_FILE + " NOT encrypted; keep it")
              + " offline, apart from the kits)");
      StartupKit coordinator =
          ca.issue(
              new ParticipantIdentity(COORDINATOR_ID, Role.COORDINATOR),
              kits.resolve(COORDINATOR_ID),
              coordinatorHosts);
      StarterConfigs.coordinator(federation, coordinator.directory(), sites)
          .write(coordinator.directory().resolve(StarterConfigs.COORDINATOR_FILE));
      printer.println("kit " + COORDINATOR_ID + ": " + coordinator.directory());
      for (int index = 0; index < sites.size(); index++) {
        StartupKit site =
            ca.issue(
                new ParticipantIdentity(sites.get(index), Role.SITE),
                kits.resolve(sites.get(index)),
                List.of());
        StarterConfigs.site(federation, sites.get(index), site.directory(), index)
            .write(site.directory().resolve(StarterConfigs.SITE_FILE));
        printer.println("kit " + sites.get(index) + ": " + site.directory());
      }
      for (String auditorId : auditors) {
        StartupKit auditor =
            ca.issue(
                new ParticipantIdentity(auditorId, Role.AUDITOR),
                kits.resolve(auditorId),
                List.of());
        StarterConfigs.write(
            auditor.directory().resolve(StarterConfigs.AUDITOR_FILE),
            StarterConfigs.auditor(federation, auditorId));
        printer.println("kit " + auditorId + ": " + auditor.directory());
      }
      return CommandLine.ExitCode.OK;
    }

    /** Everything is checked before the first file is written. */
    private void validate() {
      if (consortium.isBlank()) {
        throw new ParameterException(spec.commandLine(), "--consortium must not be blank");
      }
      requireValidId(spec, federationId, "--federation-id");
      if (coordinatorPort < 1 || coordinatorPort > 65535) {
        throw new ParameterException(
            spec.commandLine(), "--coordinator-port must be between 1 and 65535");
      }
      if (sites.size() < 2) {
        throw new ParameterException(
            spec.commandLine(),
            "--sites must name at least 2 sites (secure aggregation needs a sum of several)");
      }
      Set<String> ids = new HashSet<>(Set.of(COORDINATOR_ID));
      for (String id : sites) {
        requireNewId(spec, ids, id, "--sites");
      }
      for (String id : auditors) {
        requireNewId(spec, ids, id, "--auditors");
      }
      try {
        ConsortiumCa.requireValidCoordinatorHostNames(coordinatorHosts);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--coordinator-host: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "add-site",
      mixinStandardHelpOptions = true,
      description = "Issues a kit for one more site; existing kits are left untouched.")
  static final class AddSite implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory made by init.")
    Path out;

    @Option(names = "--site", required = true, paramLabel = "ID")
    String siteId;

    @Override
    public Integer call() {
      if (!ParticipantIdentity.isValidId(siteId) || siteId.equals(COORDINATOR_ID)) {
        throw new ParameterException(
            spec.commandLine(),
            "--site must be " + ParticipantIdentity.ID_RULE + " (and not 'coordinator')");
      }
      Path caDir = out.resolve(CA_DIRECTORY);
      ConsortiumCa ca = caOptions.load(caDir);
      StarterConfigs.Federation federation =
          StarterConfigs.readFederation(caDir.resolve(StarterConfigs.FEDERATION_FILE));
      int hospitalIndex =
          (int)
              ca.issued().stream()
                  .map(IssuedCertificate::participant)
                  .filter(participant -> participant.role() == Role.SITE)
                  .distinct()
                  .count();
      StartupKit site =
          ca.issue(
              new ParticipantIdentity(siteId, Role.SITE),
              out.resolve(KITS_DIRECTORY).resolve(siteId),
              List.of());
      StarterConfigs.site(federation, siteId, site.directory(), hospitalIndex)
          .write(site.directory().resolve(StarterConfigs.SITE_FILE));
      PrintWriter printer = spec.commandLine().getOut();
      printer.println("kit " + siteId + ": " + site.directory());
      printer.println(
          "reminder: add "
              + siteId
              + " to sites.allowed in the coordinator's "
              + StarterConfigs.COORDINATOR_FILE
              + " ("
              + out.resolve(KITS_DIRECTORY).resolve(COORDINATOR_ID)
              + "), or the coordinator will refuse it");
      return CommandLine.ExitCode.OK;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description =
          "Revokes every certificate of a participant and updates the coordinator's crl.pem.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory made by init.")
    Path out;

    @Option(names = "--participant", required = true, paramLabel = "ID")
    String participantId;

    @Override
    public Integer call() {
      requireValidId(spec, participantId, "--participant");
      ConsortiumCa ca = caOptions.load(out.resolve(CA_DIRECTORY));
      ca.revoke(participantId);
      PrintWriter printer = spec.commandLine().getOut();
      printer.println("revoked " + participantId + "; revocation list: " + ca.revocationListFile());
      publishRevocationList(ca, out, printer);
      return CommandLine.ExitCode.OK;
    }
  }

  @Command(
      name = "reissue",
      mixinStandardHelpOptions = true,
      description =
          "Replaces a participant's keys and certificates (e.g. after a lost key): revokes the old "
              + "ones and writes a new kit into kits/<id>, keeping its config file.")
  static final class Reissue implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory made by init.")
    Path out;

    @Option(names = "--participant", required = true, paramLabel = "ID")
    String participantId;

    @Override
    public Integer call() {
      requireValidId(spec, participantId, "--participant");
      Path caDir = out.resolve(CA_DIRECTORY);
      ConsortiumCa ca = caOptions.load(caDir);
      ParticipantIdentity participant =
          ca.issued().stream()
              .map(IssuedCertificate::participant)
              .filter(issued -> issued.id().equals(participantId))
              .findFirst()
              .orElseThrow(() -> new UnknownParticipantException(participantId));
      List<String> hostNames =
          participant.role() == Role.COORDINATOR
              ? StarterConfigs.readFederation(caDir.resolve(StarterConfigs.FEDERATION_FILE))
                  .coordinatorHosts()
              : List.of();
      StartupKit kit =
          ca.reissue(participant, out.resolve(KITS_DIRECTORY).resolve(participantId), hostNames);
      PrintWriter printer = spec.commandLine().getOut();
      printer.println(
          "reissued " + participant + ": " + kit.directory() + " (old certificates revoked)");
      publishRevocationList(ca, out, printer);
      return CommandLine.ExitCode.OK;
    }
  }

  @Command(
      name = "refresh-crl",
      mixinStandardHelpOptions = true,
      description =
          "Re-signs the revocation list with a new expiry date and updates the coordinator's copy "
              + "(an expired list makes the coordinator refuse every site).")
  static final class RefreshCrl implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory made by init.")
    Path out;

    @Override
    public Integer call() {
      ConsortiumCa ca = caOptions.load(out.resolve(CA_DIRECTORY));
      ca.refreshRevocationList();
      PrintWriter printer = spec.commandLine().getOut();
      printer.println(
          "re-signed "
              + ca.revocationListFile()
              + ", valid until "
              + Pem.readCrl(ca.revocationListFile()).getNextUpdate().toInstant());
      publishRevocationList(ca, out, printer);
      return CommandLine.ExitCode.OK;
    }
  }

  /** The coordinator relays the list to the sites: give its kit the CA's current list. */
  private static void publishRevocationList(ConsortiumCa ca, Path out, PrintWriter printer) {
    Path coordinatorKit = out.resolve(KITS_DIRECTORY).resolve(COORDINATOR_ID);
    if (Files.isDirectory(coordinatorKit)) {
      Path target = ca.publishRevocationList(coordinatorKit);
      printer.println(
          "updated "
              + target
              + " (a running coordinator closes revoked sites' connections within seconds and"
              + " relays the list to the other sites)");
    }
  }

  private static void requireValidId(CommandSpec spec, String id, String option) {
    if (!ParticipantIdentity.isValidId(id)) {
      throw new ParameterException(
          spec.commandLine(),
          option + ": not a participant id (" + ParticipantIdentity.ID_RULE + ")");
    }
  }

  private static void requireNewId(CommandSpec spec, Set<String> seen, String id, String option) {
    requireValidId(spec, id, option);
    if (!seen.add(id)) {
      throw new ParameterException(
          spec.commandLine(), option + ": participant id " + id + " is used twice");
    }
  }
}
