package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.cohort.crypto.secagg.RoundHarness.Prepared;
import org.junit.jupiter.api.Test;

class MessageEncodingTest {
  private static final int LENGTH = 100;

  private record Case(byte[] encoded, Function<byte[], SecAggMessage> decoder) {}

  private static List<Case> oneOfEach() {
    RoundHarness harness = new RoundHarness(4, 1);
    SecAggParameters parameters =
        new SecAggParameters(4, LENGTH, GraphPlan.complete(4, 3), 20, 1.0, 10);
    RoundSetup setup = harness.setup(1, parameters);
    Prepared round = harness.prepare(setup);
    MaskedInput input = null;
    for (SecAggClient client : round.clients()) {
      MaskedInput masked = client.maskedInput(new float[LENGTH], 2);
      round.server().acceptMaskedInput(masked);
      input = masked;
    }
    SurvivorSet survivors = round.server().closeInputs();
    List<SurvivorSignature> signatures = new ArrayList<>();
    for (SecAggClient client : round.clients()) {
      signatures.add(client.signSurvivors(survivors));
      round.server().acceptSurvivorSignature(signatures.get(signatures.size() - 1));
    }
    UnmaskRequest request = round.server().closeSignatures().get(0);
    UnmaskResponse response = round.clients().get(0).unmaskResponse(request);
    return List.of(
        new Case(setup.encode(), RoundSetup::decode),
        new Case(round.adverts().get(0).encode(), KeyAdvert::decode),
        new Case(round.advertBundle().encode(), AdvertBundle::decode),
        new Case(round.shareBundles().get(0).encode(), ShareBundle::decode),
        new Case(round.deliveries().get(0).encode(), ShareDelivery::decode),
        new Case(input.encode(), MaskedInput::decode),
        new Case(survivors.encode(), SurvivorSet::decode),
        new Case(signatures.get(0).encode(), SurvivorSignature::decode),
        new Case(request.encode(), UnmaskRequest::decode),
        new Case(response.encode(), UnmaskResponse::decode));
  }

  @Test
  void everyMessageRoundTripsToTheSameBytes() {
    for (Case c : oneOfEach()) {
      SecAggMessage decoded = c.decoder().apply(c.encoded());
      assertArrayEquals(c.encoded(), decoded.encode(), decoded.getClass().getSimpleName());
      assertEquals(RoundHarness.FEDERATION, decoded.federationId());
      assertEquals(1, decoded.round());
    }
  }

  @Test
  void truncatedExtendedOrMistypedBytesAreMalformed() {
    List<Case> cases = oneOfEach();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      byte[] bytes = c.encoded();
      assertThrows(
          SecAggException.MalformedMessage.class,
          () -> c.decoder().apply(Arrays.copyOf(bytes, bytes.length - 1)));
      assertThrows(
          SecAggException.MalformedMessage.class,
          () -> c.decoder().apply(Arrays.copyOf(bytes, bytes.length + 1)));
      assertThrows(SecAggException.MalformedMessage.class, () -> c.decoder().apply(new byte[0]));
      byte[] other = cases.get((i + 1) % cases.size()).encoded();
      assertThrows(SecAggException.MalformedMessage.class, () -> c.decoder().apply(other));
    }
  }

  @Test
  void hostileLengthsDoNotAllocate() {
    byte[] bytes =
        new CanonicalWriter(16)
            .u8(6)
            .u8(1)
            .string("fed")
            .i64(1)
            .string("a")
            .u8(32)
            .i32(Integer.MAX_VALUE / 4)
            .toByteArray();
    assertThrows(SecAggException.MalformedMessage.class, () -> MaskedInput.decode(bytes));
    byte[] badUtf8 =
        new CanonicalWriter(16).u8(2).u8(1).bytes(new byte[] {(byte) 0xff}).toByteArray();
    assertThrows(SecAggException.MalformedMessage.class, () -> KeyAdvert.decode(badUtf8));
  }

  @Test
  void wireSizesMatchTheDocumentedFormulas() {
    List<Case> cases = oneOfEach();
    int fed = RoundHarness.FEDERATION.getBytes(StandardCharsets.UTF_8).length;
    int id = "hospital-000".length();
    assertEquals(
        2 + 4 + fed + 8 + 4 + id + 32 + 32 + 4 + 64, cases.get(1).encoded().length); // key advert
    assertEquals(94, EncryptedShare.SEALED_BYTES);
    // share bundle: header + 3 × (two ids + sealed share)
    assertEquals(
        2 + 4 + fed + 8 + 4 + id + 4 + 3 * (2 * (4 + id) + 4 + 94), cases.get(3).encoded().length);
    // masked input with bits = 20: three bytes per residue, the weight included
    assertEquals(
        2 + 4 + fed + 8 + 4 + id + 1 + 4 + 3 * (LENGTH + 1), cases.get(5).encoded().length);
  }
}
