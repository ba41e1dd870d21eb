package org.cohort.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The training curve as a PNG: per completed round, the sites' weighted held-out loss (top) and
 * AUROC and accuracy (bottom) of the global model they received. Needs no display (headless AWT).
 */
public final class TrainingCurvePlot {

  private TrainingCurvePlot() {}

  public static void writePng(Path file, String title, List<RoundRecord> rounds) {
    XYSeries loss = new XYSeries("eval loss");
    XYSeries auroc = new XYSeries("eval AUROC");
    XYSeries accuracy = new XYSeries("eval accuracy");
    for (RoundRecord round : rounds) {
      if (round.completed()) {
        addFinite(loss, round.round(), round.evalLoss());
        addFinite(auroc, round.round(), round.evalAuroc());
        addFinite(accuracy, round.round(), round.evalAccuracy());
      }
    }
    NumberAxis roundAxis = new NumberAxis("round");
    roundAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(roundAxis);
    plot.add(subplot("loss", new XYSeriesCollection(loss)), 1);
    XYSeriesCollection quality = new XYSeriesCollection(auroc);
    quality.addSeries(accuracy);
    plot.add(subplot("AUROC / accuracy", quality), 1);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    try {
      ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 650);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static XYPlot subplot(String label, XYSeriesCollection data) {
    NumberAxis axis = new NumberAxis(label);
    axis.setAutoRangeIncludesZero(false);
    return new XYPlot(data, null, axis, new XYLineAndShapeRenderer(true, false));
  }

  private static void addFinite(XYSeries series, long round, double value) {
    if (Double.isFinite(value)) {
      series.add(round, value);
    }
  }
}
