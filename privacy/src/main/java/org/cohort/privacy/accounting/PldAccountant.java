package org.cohort.privacy.accounting;

import java.util.List;
import org.cohort.privacy.math.SpecialFunctions;

/**
 * Privacy-loss-distribution (PLD) accountant for the Poisson-subsampled Gaussian mechanism: the
 * distribution of the privacy loss L = log(P(x)/Q(x)) is discretised on a grid of width h, composed
 * by FFT convolution, and read off exactly as δ(ε) = E[(1 - e^(ε - L))+] (Meiser and Mohammadi
 * 2018; Koskela, Jälkö, Honkela 2020; as in Google's dp_accounting). Tighter than RDP.
 *
 * <p>Pessimistic throughout, so the result is an upper bound on the true ε: each bucket's mass is
 * split between its two grid losses by "connect the dots" (dp_accounting's default), lower-tail
 * mass is moved up to the lowest kept loss, and upper-tail mass is counted as infinite loss, i.e.
 * added to δ. The tails are sized to the horizon: all the mass sent to infinity, over every step
 * and every truncation after a convolution (counting that a cut made early is multiplied by the
 * later convolutions), is at most {@link #INFINITY_BUDGET} of δ (or the tail beyond ±8σ and 1e-15
 * per truncation, if smaller), so that a million steps do not add up to more than δ and return ∞.
 * The upper tail of each step is computed directly, not as 1 - CDF. Both directions of
 * add-or-remove adjacency are computed and the larger ε is reported. Double FFT rounding (about
 * 1e-16 of the largest cell) is the remaining approximation.
 */
public final class PldAccountant {

  static final double TAIL_MASS = 1e-15;

  /** Fraction of δ that all the mass sent to +∞ by tail cuts may use up. */
  static final double INFINITY_BUDGET = 1e-3;

  /** The narrowest per-step cut, Φ(-8.0) ≈ 6.2e-16 on each side. */
  private static final double MIN_TAIL_SIGMAS = 8.0;

  private static final double MAX_TAIL_SIGMAS = 38.0;

  private static final int DIRECT_CONVOLUTION_LIMIT = 1 << 16;

  /** Largest single-step grid; beyond it the FFTs would need gigabytes. */
  private static final long MAX_BUCKETS = 1 << 22;

  private PldAccountant() {}

  /**
   * A discretised PLD of {@code steps} composed steps: pmf[i] is the probability of loss (offset +
   * i)·h; plus mass at +∞.
   */
  private record Pld(long offset, double[] pmf, double infinityMass, double h, long steps) {}

  /**
   * How far the tails reach: each step is cut at ±tailSigmas·σ, and a convolution's result of m
   * steps has its upper tail below m·truncationMassPerStep cut. Mass sent to +∞ in a PLD of m steps
   * reaches the final one multiplied by at most T/m (it is convolved with the other T - m steps'
   * worth and survives), so each cut costs at most T·truncationMassPerStep at the end; with C
   * convolutions in all, the total stays within budget.
   */
  private record Tails(double tailSigmas, double truncationMassPerStep) {

    double truncationMass(long steps) {
      return Math.min(TAIL_MASS, truncationMassPerStep * steps);
    }

    static Tails forHorizon(List<? extends PrivacyEvent> events, double delta) {
      double budget = INFINITY_BUDGET * delta;
      double totalSteps = 0;
      double convolutions = 0;
      for (PrivacyEvent event : events) {
        totalSteps += event.steps();
        convolutions += 2 * (64 - Long.numberOfLeadingZeros(event.steps())) + 1;
      }
      // each step cuts at most Φ(-z) from each direction's upper tail
      double perStep = budget / (2 * totalSteps);
      double tailSigmas = Math.max(MIN_TAIL_SIGMAS, upperNormalQuantile(perStep));
      return new Tails(tailSigmas, budget / (2 * convolutions * totalSteps));
    }

    /** The z with Φ(-z) = p, by bisection on log Φ (p may be far below 1e-16). */
    private static double upperNormalQuantile(double p) {
      double logP = Math.log(p);
      double lo = 0;
      double hi = MAX_TAIL_SIGMAS;
      for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (SpecialFunctions.logNormalCdf(-mid) > logP) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      return hi;
    }
  }

  /**
   * Smallest ε with δ(ε) <= delta after the event, on a loss grid of width {@code discretization}
   * (1e-4 is dp_accounting's default; coarser is faster and more pessimistic).
   */
  public static PrivacySpent epsilon(
      PrivacyEvent.SubsampledGaussian event, double delta, double discretization) {
    return epsilon(List.of(event), delta, discretization);
  }

  /** Smallest ε with δ(ε) <= delta after all the events (heterogeneous composition). */
  public static PrivacySpent epsilon(
      List<? extends PrivacyEvent> events, double delta, double discretization) {
    InvalidPrivacyParameterException.requireDelta(delta);
    if (!(discretization > 0 && discretization <= 0.1)) {
      throw new InvalidPrivacyParameterException(
          "discretization must be in (0, 0.1], got " + discretization);
    }
    if (events.isEmpty()) {
      return new PrivacySpent(0, delta, Double.NaN);
    }
    for (PrivacyEvent event : events) {
      if (!(event instanceof PrivacyEvent.SubsampledGaussian)) {
        throw new InvalidPrivacyParameterException("the PLD accountant has no model for " + event);
      }
    }
    Tails tails = Tails.forHorizon(events, delta);
    Pld remove = null;
    Pld add = null;
    for (PrivacyEvent event : events) {
      PrivacyEvent.SubsampledGaussian gaussian = (PrivacyEvent.SubsampledGaussian) event;
      Pld removeStep =
          compose(removeDirection(gaussian, discretization, tails), gaussian.steps(), tails);
      Pld addStep = compose(addDirection(gaussian, discretization, tails), gaussian.steps(), tails);
      remove = remove == null ? removeStep : convolve(remove, removeStep, tails);
      add = add == null ? addStep : convolve(add, addStep, tails);
    }
    return new PrivacySpent(
        Math.max(epsilon(remove, delta), epsilon(add, delta)), delta, Double.NaN);
  }

  /**
   * x ~ P = (1-q)N(0,σ²) + qN(1,σ²), L(x) = log(1 - q + q exp((2x-1)/(2σ²))), increasing in x.
   * Bucket k holds x in (inverseLoss((k-1)h), inverseLoss(kh)], i.e. losses in ((k-1)h, kh].
   */
  private static Pld removeDirection(PrivacyEvent.SubsampledGaussian event, double h, Tails tails) {
    double q = event.samplingRate();
    double sigma = event.noiseMultiplier();
    double xLow = -tails.tailSigmas() * sigma;
    double xHigh = 1 + tails.tailSigmas() * sigma;
    long kLow = (long) Math.ceil(loss(q, sigma, xLow) / h);
    long kHigh = (long) Math.ceil(loss(q, sigma, xHigh) / h);
    checkGridSize(kHigh - kLow + 1);
    double[] pmf = new double[(int) (kHigh - kLow + 1)];
    double belowMass = mixtureCdf(q, sigma, xLow);
    pmf[0] += belowMass; // losses below the grid: rounded up to the lowest point
    double lowerX = xLow;
    for (long k = kLow; k <= kHigh; k++) {
      double upperX = k == kHigh ? xHigh : Math.max(lowerX, inverseLoss(q, sigma, k * h));
      double mass = mixtureCdf(q, sigma, upperX) - mixtureCdf(q, sigma, lowerX);
      double expMinusLossMass = normalCdf(upperX / sigma) - normalCdf(lowerX / sigma);
      splitBetweenGridPoints(pmf, (int) (k - kLow), mass, expMinusLossMass, (k - 1) * h, k * h);
      lowerX = upperX;
    }
    double upperTail =
        (1 - q) * normalCdf(-xHigh / sigma) + q * normalCdf((1 - xHigh) / sigma); // 1 - CDF
    return new Pld(kLow, pmf, upperTail, h, 1);
  }

  /**
   * x ~ Q = N(0,σ²), L(x) = -log(1 - q + q exp((2x-1)/(2σ²))), decreasing in x and below -log(1-q).
   * Bucket k holds x in [inverseLoss(-kh), inverseLoss(-(k-1)h)).
   */
  private static Pld addDirection(PrivacyEvent.SubsampledGaussian event, double h, Tails tails) {
    double q = event.samplingRate();
    double sigma = event.noiseMultiplier();
    double xHigh = tails.tailSigmas() * sigma;
    double xLow = q == 1 ? -tails.tailSigmas() * sigma : Double.NEGATIVE_INFINITY;
    long kLow = (long) Math.ceil(-loss(q, sigma, xHigh) / h);
    long kHigh = (long) Math.ceil((q == 1 ? -loss(q, sigma, xLow) : -Math.log1p(-q)) / h);
    checkGridSize(kHigh - kLow + 1);
    double[] pmf = new double[(int) (kHigh - kLow + 1)];
    pmf[0] += normalCdf(-xHigh / sigma); // losses below the grid: rounded up to the lowest point
    double upperX = xHigh;
    for (long k = kLow; k <= kHigh; k++) {
      double lowerX = k == kHigh ? xLow : Math.min(upperX, inverseLoss(q, sigma, -k * h));
      double mass = normalCdf(upperX / sigma) - normalCdf(lowerX / sigma);
      double expMinusLossMass = mixtureCdf(q, sigma, upperX) - mixtureCdf(q, sigma, lowerX);
      splitBetweenGridPoints(pmf, (int) (k - kLow), mass, expMinusLossMass, (k - 1) * h, k * h);
      upperX = lowerX;
    }
    double infinity = q == 1 ? normalCdf(xLow / sigma) : 0;
    return new Pld(kLow, pmf, infinity, h, 1);
  }

  /**
   * "Connect the dots" (Doroshenko et al., PETS 2022): mass p whose losses lie in [a, b], with
   * E[e^-L; bucket] = r, is split between the grid points a and b so that both p and r are kept.
   * The split distribution's δ(ε) is the chord of the true (convex in e^ε) one, so it dominates it,
   * without the bias of rounding every loss up to b. Slots: index i is loss b, i - 1 is a.
   */
  private static void splitBetweenGridPoints(
      double[] pmf, int index, double p, double r, double a, double b) {
    if (!(p > 0)) {
      return;
    }
    double atA = index == 0 ? 0 : (r - p * Math.exp(-b)) / (Math.exp(-a) - Math.exp(-b));
    atA = Math.min(Math.max(atA, 0), p);
    pmf[index] += p - atA;
    if (atA > 0) {
      pmf[index - 1] += atA;
    }
  }

  private static void checkGridSize(long buckets) {
    if (buckets > MAX_BUCKETS) {
      throw new InvalidPrivacyParameterException(
          "privacy-loss grid of "
              + buckets
              + " buckets is too fine for this noise multiplier; use a coarser discretization or the RDP accountant");
    }
  }

  private static double normalCdf(double z) {
    return z == Double.NEGATIVE_INFINITY ? 0 : SpecialFunctions.normalCdf(z);
  }

  private static double loss(double q, double sigma, double x) {
    double y = (2 * x - 1) / (2 * sigma * sigma);
    return y > 0
        ? y + Math.log(q) + Math.log1p((1 - q) / q * Math.exp(-y))
        : Math.log1p(q * Math.expm1(y));
  }

  /** The x with loss(x) = l; -∞ when l <= log(1-q). */
  private static double inverseLoss(double q, double sigma, double l) {
    double excess = Math.expm1(l) + q; // e^l - (1 - q)
    if (excess <= 0) {
      return Double.NEGATIVE_INFINITY;
    }
    return sigma * sigma * (Math.log(excess) - Math.log(q)) + 0.5;
  }

  private static double mixtureCdf(double q, double sigma, double x) {
    return (1 - q) * normalCdf(x / sigma) + q * normalCdf((x - 1) / sigma);
  }

  private static Pld compose(Pld base, long times, Tails tails) {
    Pld result = null;
    Pld power = base;
    for (long remaining = times; remaining > 0; remaining >>= 1) {
      if ((remaining & 1) == 1) {
        result = result == null ? power : convolve(result, power, tails);
      }
      if (remaining > 1) {
        power = convolve(power, power, tails);
      }
    }
    return result;
  }

  private static Pld convolve(Pld a, Pld b, Tails tails) {
    double[] pmf =
        a.pmf.length * (long) b.pmf.length <= DIRECT_CONVOLUTION_LIMIT * 16L
            ? directConvolution(a.pmf, b.pmf)
            : Fft.convolve(a.pmf, b.pmf);
    // 1 - (1 - a)(1 - b), without losing tiny masses to the subtraction from 1
    double infinity = a.infinityMass + b.infinityMass - a.infinityMass * b.infinityMass;
    long steps = a.steps + b.steps;
    return truncate(
        new Pld(a.offset + b.offset, pmf, infinity, a.h, steps), tails.truncationMass(steps));
  }

  private static double[] directConvolution(double[] a, double[] b) {
    double[] out = new double[a.length + b.length - 1];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        out[i + j] += a[i] * b[j];
      }
    }
    return out;
  }

  /** Drops tails of mass below tailMass each: the lower one moves up, the upper one goes to +∞. */
  private static Pld truncate(Pld pld, double tailMass) {
    double[] p = pld.pmf;
    for (int i = 0; i < p.length; i++) {
      if (p[i] < 0) {
        p[i] = 0; // FFT rounding
      }
    }
    int low = 0;
    double lowMass = 0;
    while (low < p.length - 1 && lowMass + p[low] < tailMass) {
      lowMass += p[low++];
    }
    int high = p.length - 1;
    double highMass = 0;
    while (high > low && highMass + p[high] < tailMass) {
      highMass += p[high--];
    }
    double[] kept = java.util.Arrays.copyOfRange(p, low, high + 1);
    kept[0] += lowMass;
    return new Pld(pld.offset + low, kept, pld.infinityMass + highMass, pld.h, pld.steps);
  }

  /**
   * Smallest ε >= 0 with δ(ε) = infinity + Σ_{l > ε} p(l) (1 - e^(ε - l)) <= delta. Between two
   * adjacent losses δ(ε) = A - e^ε B, solved in closed form while scanning down from the top.
   */
  private static double epsilon(Pld pld, double delta) {
    if (pld.infinityMass > delta) {
      return Double.POSITIVE_INFINITY;
    }
    double tailMass = pld.infinityMass; // A
    double tailWeighted = 0; // B = Σ p e^-l over the losses above ε
    for (int i = pld.pmf.length - 1; i >= 0; i--) {
      double loss = (pld.offset + i) * pld.h;
      double lowerLoss = (pld.offset + i - 1) * pld.h;
      tailMass += pld.pmf[i];
      tailWeighted += pld.pmf[i] * Math.exp(-loss);
      // For ε in [lowerLoss, loss): δ(ε) = tailMass - e^ε tailWeighted.
      double deltaAtLower = tailMass - Math.exp(lowerLoss) * tailWeighted;
      if (deltaAtLower > delta || i == 0) {
        double eps = tailWeighted > 0 ? Math.log((tailMass - delta) / tailWeighted) : lowerLoss;
        return Math.max(0, Math.max(eps, i == 0 ? Double.NEGATIVE_INFINITY : lowerLoss));
      }
    }
    return 0;
  }
}
