package org.cohort.crypto.secagg;

/**
 * Everything the parties of a round must agree on. Validated on construction: a combination under
 * which the true sum of {@code sites} clipped, weighted, quantized updates could wrap modulo 2^bits
 * is refused with {@link SecAggException.SumMayWrap}.
 *
 * <p>Quantization: a site sends round(w · clip(x) · scale) (stochastic rounding, unbiased) for each
 * coordinate x of its update and w itself as the last element. {@link #scale()} is the largest
 * power of two with sites · (maxWeight · clip · scale + 1) ≤ 2^(bits−1) − 1, so the sum stays
 * inside the signed range even when every site rounds up; dividing by a power of two is exact. Each
 * site's rounding error is below one step, so the dequantized weighted sum of s contributions is
 * within s / scale of the exact Σ w·clip(x) in every coordinate ({@link #sumErrorBound(int)}).
 *
 * @param sites number of participants of the round
 * @param vectorLength number of float parameters in an update (the weight is appended)
 * @param graph neighbour graph and Shamir threshold
 * @param bits width b of the ring Z_(2^b), 8..32; 32 uses Java int overflow natively
 * @param clip each coordinate is clipped to [−clip, clip]
 * @param maxWeight largest weight (example count) a site may use
 * @param countSlots integers in [0, maxWeight] appended after the weight, summed exactly (the
 *     federation-wide metric sums of a round); bounded like the weight, so they cannot wrap either
 * @param encoding how a site's vector becomes ring elements: {@link Encoding#FIXED_POINT} (the
 *     quantizer above) or {@link Encoding#INTEGER} (the site hands in residues it encoded itself)
 */
public record SecAggParameters(
    int sites,
    int vectorLength,
    GraphPlan graph,
    int bits,
    double clip,
    long maxWeight,
    int countSlots,
    Encoding encoding) {

  /** How a site's vector enters the ring Z_(2^bits). */
  public enum Encoding {
    /** Clip each coordinate, weight, scale and stochastically round: the quantizer above. */
    FIXED_POINT,
    /**
     * The site's vector is already integers mod 2^bits (the distributed discrete Gaussian's
     * encoding, which bounds its own sum). The weight of every site is 1, there are no count slots,
     * the scale is 1 and {@code clip} is unused (1 by convention); the unmasked sum is returned as
     * signed integers, which only the encoder's own decoder can interpret.
     */
    INTEGER
  }

  /** Fewest quantization steps a weight-1 update must get over [0, clip]. */
  static final double MIN_STEPS_PER_CLIP = 256;

  public static final int DEFAULT_BITS = 32;

  public SecAggParameters {
    if (sites < 3) {
      throw new SecAggException.InvalidParameters("sites must be >= 3, got " + sites);
    }
    if (vectorLength < 1 || vectorLength > Integer.MAX_VALUE - 16) {
      throw new SecAggException.InvalidParameters(
          "vector_length must be >= 1, got " + vectorLength);
    }
    if (countSlots < 0 || countSlots > Integer.MAX_VALUE - 16 - vectorLength) {
      throw new SecAggException.InvalidParameters(
          "count_slots must be >= 0 and fit beside the vector, got " + countSlots);
    }
    if (graph == null) {
      throw new SecAggException.InvalidParameters("graph must be set");
    }
    if (graph.degree() > sites - 1) {
      throw new SecAggException.InvalidParameters(
          "graph degree " + graph.degree() + " exceeds sites-1 = " + (sites - 1));
    }
    if (graph.kind() == NeighbourGraph.Kind.COMPLETE && graph.degree() != sites - 1) {
      throw new SecAggException.InvalidParameters(
          "complete graph on " + sites + " sites must have degree " + (sites - 1));
    }
    if (encoding == null) {
      throw new SecAggException.InvalidParameters("encoding must be set");
    }
    if (encoding == Encoding.INTEGER && (maxWeight != 1 || countSlots != 0 || clip != 1)) {
      throw new SecAggException.InvalidParameters(
          "integer encoding has weight 1, no count slots and clip 1");
    }
    if (bits < 8 || bits > 32) {
      throw new SecAggException.InvalidParameters("bits must be in 8..32, got " + bits);
    }
    if (!(clip > 0) || Double.isInfinite(clip)) {
      throw new SecAggException.InvalidParameters(
          "clip must be a positive finite number, got " + clip);
    }
    if (maxWeight < 1) {
      throw new SecAggException.InvalidParameters("max_weight must be >= 1, got " + maxWeight);
    }
    double signedMax = Math.pow(2, bits - 1) - 1;
    if ((double) sites * maxWeight > signedMax) {
      throw new SecAggException.SumMayWrap(
          String.format(
              "the total weight of sites=%d with max_weight=%d does not fit in bits=%d",
              sites, maxWeight, bits));
    }
    if (encoding == Encoding.FIXED_POINT
        && scaleFor(sites, bits, clip, maxWeight) * clip < MIN_STEPS_PER_CLIP) {
      throw new SecAggException.SumMayWrap(
          String.format(
              "bits=%d cannot hold the sum of sites=%d updates clipped to clip=%s with max_weight=%d at %d steps per clip range",
              bits, sites, clip, maxWeight, (int) MIN_STEPS_PER_CLIP));
    }
  }

  /** Fixed-point parameters with {@code countSlots} count slots. */
  public SecAggParameters(
      int sites,
      int vectorLength,
      GraphPlan graph,
      int bits,
      double clip,
      long maxWeight,
      int countSlots) {
    this(sites, vectorLength, graph, bits, clip, maxWeight, countSlots, Encoding.FIXED_POINT);
  }

  /** Fixed-point parameters without count slots. */
  public SecAggParameters(
      int sites, int vectorLength, GraphPlan graph, int bits, double clip, long maxWeight) {
    this(sites, vectorLength, graph, bits, clip, maxWeight, 0);
  }

  /** Parameters for vectors that sites encode into Z_(2^bits) themselves. */
  public static SecAggParameters integer(int sites, int vectorLength, GraphPlan graph, int bits) {
    return new SecAggParameters(sites, vectorLength, graph, bits, 1, 1, 0, Encoding.INTEGER);
  }

  /** Parameters with the default ring Z_(2^32) and no count slots. */
  public SecAggParameters(
      int sites, int vectorLength, GraphPlan graph, double clip, long maxWeight) {
    this(sites, vectorLength, graph, DEFAULT_BITS, clip, maxWeight, 0);
  }

  public SecAggParameters withCountSlots(int slots) {
    return new SecAggParameters(sites, vectorLength, graph, bits, clip, maxWeight, slots, encoding);
  }

  private static double scaleFor(int sites, int bits, double clip, long maxWeight) {
    double signedMax = Math.pow(2, bits - 1) - 1;
    double largest = (signedMax / sites - 1) / (maxWeight * clip);
    return largest <= 0 ? 0 : Math.pow(2, Math.floor(Math.log(largest) / Math.log(2)));
  }

  /** Quantization steps per unit of weighted update; a power of two (1 for integer encoding). */
  public double scale() {
    return encoding == Encoding.INTEGER ? 1 : scaleFor(sites, bits, clip, maxWeight);
  }

  /** Largest per-coordinate error of a dequantized weighted sum of {@code contributors} updates. */
  public double sumErrorBound(int contributors) {
    return contributors / scale();
  }

  /** Length of the integer vectors on the wire: the update, the weight and the count slots. */
  public int maskedLength() {
    return vectorLength + 1 + countSlots;
  }

  int residueMask() {
    return bits == 32 ? -1 : (1 << bits) - 1;
  }

  void writeTo(CanonicalWriter out) {
    out.i32(sites)
        .i32(vectorLength)
        .u8(graph.kind().ordinal())
        .i32(graph.degree())
        .i32(graph.threshold())
        .u8(bits)
        .f64(clip)
        .i64(maxWeight)
        .i32(countSlots)
        .u8(encoding.ordinal());
  }

  static SecAggParameters readFrom(CanonicalReader in) {
    int sites = in.i32();
    int vectorLength = in.i32();
    int kind = in.u8();
    if (kind >= NeighbourGraph.Kind.values().length) {
      throw new SecAggException.MalformedMessage("unknown graph kind " + kind);
    }
    int degree = in.i32();
    int threshold = in.i32();
    int bits = in.u8();
    double clip = in.f64();
    long maxWeight = in.i64();
    int countSlots = in.i32();
    int encoding = in.u8();
    if (encoding >= Encoding.values().length) {
      throw new SecAggException.MalformedMessage("unknown encoding " + encoding);
    }
    try {
      return new SecAggParameters(
          sites,
          vectorLength,
          new GraphPlan(NeighbourGraph.Kind.values()[kind], degree, threshold),
          bits,
          clip,
          maxWeight,
          countSlots,
          Encoding.values()[encoding]);
    } catch (SecAggException.InvalidParameters | SecAggException.SumMayWrap e) {
      throw new SecAggException.MalformedMessage(
          "round setup carries invalid parameters: " + e.getMessage());
    }
  }
}
