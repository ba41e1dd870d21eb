package org.cohort.crypto.pki;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.nio.file.Path;
import java.util.List;

/**
 * The starter configs written into kits, following the shared schemas (coordinator.yaml,
 * site.yaml) with defaults an operator then edits. Key paths are relative to the kit directory.
 */
final class StarterConfigs {
    static final String COORDINATOR_FILE = "coordinator.yaml";
    static final String SITE_FILE = "site.yaml";
    static final String AUDITOR_FILE = "auditor.yaml";
    /** Where the operator's provisioning settings live, next to the CA so add-site can reuse them. */
    static final String FEDERATION_FILE = "federation.yaml";

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    record Endpoint(String host, int port) {
    }

    record ServerKit(String certificate, String privateKey, String caCertificate, String revocationList) {
    }

    record ClientKit(String certificate, String privateKey, String caCertificate) {
    }

    record Sites(List<String> allowed, int minPerRound) {
    }

    record Rounds(int count, int deadlineSeconds) {
    }

    record Model(String kind, int inputFeatures, List<Integer> hiddenSizes, long seed) {
    }

    record Training(int epochs, int batchSize, double learningRate, String optimizer, long seed) {
    }

    record Checkpoint(String directory) {
    }

    record Transport(int maxFrameBytes, int chunkElements) {
    }

    record CoordinatorConfig(String federationId, Endpoint listen, Endpoint metrics, ServerKit kit, Sites sites,
            Rounds rounds, Model model, Training training, Checkpoint checkpoint, Transport transport) {
    }

    record SyntheticData(String source, int hospital, long seed) {
    }

    record SiteConfig(String siteId, Endpoint coordinator, ClientKit kit, SyntheticData data) {
    }

    record AuditorConfig(String auditorId, String federationId, Endpoint coordinator, ClientKit kit) {
    }

    /** What init decided and add-site needs again. */
    record Federation(String federationId, String consortium, List<String> coordinatorHosts, int coordinatorPort) {
        Endpoint coordinatorEndpoint() {
            return new Endpoint(coordinatorHosts.get(0), coordinatorPort);
        }
    }

    /**
     * Width of the built-in synthetic cohort (org.cohort.site.data.SyntheticCohort.FEATURE_COUNT),
     * which the starter site configs train on; an operator with their own data edits both.
     */
    private static final int SYNTHETIC_COHORT_FEATURES = 25;

    private static final ClientKit CLIENT_KIT =
            new ClientKit(KitFiles.TLS_CERTIFICATE, KitFiles.TLS_PRIVATE_KEY, KitFiles.CA_CERTIFICATE);

    private StarterConfigs() {
    }

    static CoordinatorConfig coordinator(Federation federation, List<String> siteIds) {
        int minPerRound = Math.max(2, (siteIds.size() + 1) / 2);
        return new CoordinatorConfig(federation.federationId(),
                new Endpoint("0.0.0.0", federation.coordinatorPort()),
                new Endpoint("127.0.0.1", 9464),
                new ServerKit(KitFiles.TLS_CERTIFICATE, KitFiles.TLS_PRIVATE_KEY, KitFiles.CA_CERTIFICATE,
                        KitFiles.REVOCATION_LIST),
                new Sites(List.copyOf(siteIds), minPerRound),
                new Rounds(10, 120),
                new Model("logreg", SYNTHETIC_COHORT_FEATURES, List.of(), 42),
                new Training(1, 32, 0.1, "sgd", 7),
                new Checkpoint("checkpoints"),
                new Transport(4_194_304, 262_144));
    }

    static SiteConfig site(Federation federation, String siteId, int hospitalIndex) {
        return new SiteConfig(siteId, federation.coordinatorEndpoint(), CLIENT_KIT,
                new SyntheticData("synthetic", hospitalIndex, 1));
    }

    static AuditorConfig auditor(Federation federation, String auditorId) {
        return new AuditorConfig(auditorId, federation.federationId(), federation.coordinatorEndpoint(), CLIENT_KIT);
    }

    static void write(Path file, Object config) {
        try {
            SecureFiles.writePublic(file, YAML.writeValueAsString(config));
        } catch (JsonProcessingException e) {
            throw new PkiException("cannot write " + file, e);
        }
    }
}
