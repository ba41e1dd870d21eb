package org.cohort.site.training;

/**
 * A round task this site cannot run as asked (unknown optimizer, a model whose input width differs
 * from the site's features, a parameter vector of the wrong length...). {@link #field()} names the
 * offending field of the task, e.g. "training.batch_size".
 */
public final class InvalidTaskException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String field;

  public InvalidTaskException(String field, String problem) {
    super(field + " " + problem);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
