/**
 * Privacy accounting for the (Poisson-subsampled) Gaussian mechanism.
 *
 * <pre>{@code
 * RdpAccountant spent = RdpAccountant.create()                       // default orders
 *     .compose(new PrivacyEvent.SubsampledGaussian(0.01, 1.1, 1000))  // q, sigma, steps
 *     .compose(new PrivacyEvent.SubsampledGaussian(0.02, 2.0, 50));   // another job, same data
 * PrivacySpent eps = spent.epsilon(1e-5);        // epsilon, delta, optimal order (CKS 2020)
 * String state = spent.toJson();                 // persist; RdpAccountant.fromJson(state) resumes
 * NoiseCalibration.Result r = NoiseCalibration.withDefaultOrders().noiseMultiplier(3.0, 1e-5, 0.01, 1000);
 * double single = AnalyticGaussian.noiseMultiplier(1.0, 1e-5);  // one release, Balle-Wang 2018
 * }</pre>
 *
 * <p>Exactness: {@link org.cohort.privacy.accounting.SubsampledGaussianRdp} computes RDP exactly
 * (closed form for q = 1, positive binomial sum for integer orders, signed two-series or quadrature
 * for fractional orders); the tests pin it to values published by TF Privacy, Opacus and
 * dp_accounting and to 50-digit mpmath quadrature. Parameters outside their domain raise {@link
 * org.cohort.privacy.accounting.InvalidPrivacyParameterException}.
 */
package org.cohort.privacy.accounting;
