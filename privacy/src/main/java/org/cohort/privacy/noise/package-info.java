/**
 * Noise for differential privacy and L2 clipping, all driven by {@link
 * org.cohort.privacy.noise.AesCtrDrbg} (AES-256-CTR keyed from SecureRandom).
 *
 * <ul>
 *   <li>{@link org.cohort.privacy.noise.GaussianNoise}: continuous Gaussian for float vectors,
 *       snapped to a data-independent grid against floating-point attacks (central and record-level
 *       DP).
 *   <li>{@link org.cohort.privacy.noise.DiscreteGaussianSampler}: the exact CKS 2020 sampler.
 *   <li>{@link org.cohort.privacy.noise.DiscreteGaussianTable}: fast 128-bit CDF-table discrete
 *       Gaussian for bulk integer noise (distributed DP), σ up to 2^14.
 *   <li>{@link org.cohort.privacy.noise.SkellamSampler}: Skellam shares for the distributed Skellam
 *       mechanism.
 *   <li>{@link org.cohort.privacy.noise.L2Clipping}: clip in place, returning the pre-clip norm.
 * </ul>
 */
package org.cohort.privacy.noise;
