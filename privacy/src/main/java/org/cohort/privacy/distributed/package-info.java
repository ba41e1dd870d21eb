/**
 * Distributed differential privacy under secure aggregation: each site turns its float vector into
 * integers mod 2^b and adds its share of integer noise, and the coordinator decodes the sum
 * (Kairouz, Liu, Steinke, ICML 2021, "The Distributed Discrete Gaussian Mechanism for Federated
 * Learning with Secure Aggregation").
 *
 * <ul>
 *   <li>{@link org.cohort.privacy.distributed.DistributedNoiseSpec}: what the round asks for.
 *   <li>{@link org.cohort.privacy.distributed.DistributedNoisePlan}: γ, Δ₂, Δ₁, the share noise;
 *       encode (site) and decode (coordinator).
 *   <li>{@link org.cohort.privacy.distributed.RandomizedHadamard}: the public-seed rotation.
 * </ul>
 */
package org.cohort.privacy.distributed;
