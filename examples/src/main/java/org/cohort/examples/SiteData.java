package org.cohort.examples;

import org.cohort.site.data.Split;

/**
 * One site of a comparison: its display name and its encoded (standardised) training and held-out
 * rows.
 */
public record SiteData(String name, Split split) {}
