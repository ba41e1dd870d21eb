package org.cohort.privacy.accounting;

/**
 * An (ε, δ)-DP guarantee and the Rényi order that gave it (NaN when no order was used, e.g. for a
 * mechanism analysed without RDP).
 */
public record PrivacySpent(double epsilon, double delta, double order) {}
