package org.cohort.site.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relayed list is kept only if the kit's CA signed it and it is newer: a coordinator can neither
 * forge a list (to un-revoke itself) nor replay an older one.
 */
class SiteRevocationListTest {

  @TempDir Path root;

  @Test
  void onlyANewerListSignedByTheKitsCaIsStored() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit kit =
        ca.issue(new ParticipantIdentity("hospital-a", Role.SITE), root.resolve("a"), List.of());
    byte[] first = ca.revocationList().encoded();
    ca.issue(new ParticipantIdentity("hospital-b", Role.SITE), root.resolve("b"), List.of());
    ca.revoke("hospital-b");
    byte[] revokesB = ca.revocationList().encoded();
    // Same consortium name, another key: the forger's list has a higher number than any real one.
    ConsortiumCa forger = ConsortiumCa.create(root.resolve("forger"), "demo");
    for (int i = 0; i < 5; i++) {
      forger.refreshRevocationList();
    }
    byte[] forged = forger.revocationList().encoded();

    SiteRevocationList held = new SiteRevocationList("hospital-a", kit.files());
    assertEquals(Optional.of(BigInteger.ONE), held.number());
    assertEquals(SiteRevocationList.Offer.ACCEPTED, held.offer(revokesB));
    byte[] stored = Files.readAllBytes(kit.files().revocationList());

    assertEquals(SiteRevocationList.Offer.INVALID, held.offer(forged));
    assertEquals(SiteRevocationList.Offer.NOT_NEWER, held.offer(first));
    assertEquals(SiteRevocationList.Offer.NOT_NEWER, held.offer(revokesB));
    assertEquals(SiteRevocationList.Offer.INVALID, held.offer(new byte[] {0x30, 0x03, 1, 2, 3}));
    assertEquals(Optional.of(BigInteger.valueOf(2)), held.number());
    assertTrue(java.util.Arrays.equals(stored, Files.readAllBytes(kit.files().revocationList())));

    // A restarted site reads the stored list back.
    SiteRevocationList restarted = new SiteRevocationList("hospital-a", kit.files());
    assertEquals(Optional.of(BigInteger.valueOf(2)), restarted.number());
    StartupKit b = StartupKit.load(root.resolve("b"));
    assertTrue(restarted.revokes(b.tlsCertificate()));
    assertFalse(restarted.revokes(kit.tlsCertificate()));
  }
}
