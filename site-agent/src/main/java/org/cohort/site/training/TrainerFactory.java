package org.cohort.site.training;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** Builds a site's trainer from the {@code data:} section of its config file. */
public final class TrainerFactory {

  private TrainerFactory() {}

  /**
   * @param data the {@code data:} section of the site config
   * @param configDirectory relative paths in {@code data} resolve against it
   */
  public static LocalTrainer fromConfig(JsonNode data, Path configDirectory) {
    throw new UnsupportedOperationException("data sources arrive with the models-and-data work");
  }
}
