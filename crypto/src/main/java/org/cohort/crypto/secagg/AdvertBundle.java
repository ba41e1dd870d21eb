package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/** Coordinator → every site: all adverts received in time (the set U1). Size ≈ Σ advert sizes. */
public record AdvertBundle(String federationId, long round, List<KeyAdvert> adverts)
    implements SecAggMessage {
  public AdvertBundle {
    adverts = List.copyOf(adverts);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(MessageType.ADVERT_BUNDLE, 64 + 200 * adverts.size())
            .string(federationId)
            .i64(round)
            .i32(adverts.size());
    adverts.forEach(advert -> advert.writeBody(out));
    return out.toByteArray();
  }

  public static AdvertBundle decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.ADVERT_BUNDLE);
    String federationId = in.string(1024);
    long round = in.i64();
    int count = in.count(RoundSetup.MAX_SITES);
    List<KeyAdvert> adverts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      adverts.add(KeyAdvert.readBody(in));
    }
    in.expectEnd();
    return new AdvertBundle(federationId, round, adverts);
  }
}
