package org.cohort.coordinator;

/**
 * A copy of the global model after {@code completedRounds} completed rounds (last round number
 * used: {@code lastRound}).
 */
public record GlobalModel(long lastRound, long completedRounds, float[] parameters) {}
