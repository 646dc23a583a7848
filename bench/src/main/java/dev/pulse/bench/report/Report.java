package dev.pulse.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Reads the JSON lines that {@code compare.sh} collected (one per load run, tagged with the
 * server) and prints a Markdown table: for each row the median of the rounds for Pulse and for
 * the reference, their ratio and the spread (min-max) across rounds; also writes
 * {@code summary.json} and {@code chart.png} beside the input.
 */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Summarise a compare.sh run.")
public final class Report implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", description = "the raw JSON lines of a run")
    Path raw;

    /** One table row: a load shape with its parameters, and the figure compared. */
    private record Row(String title, String metric, String unit, boolean higherIsBetter) { }

    @Override
    public Integer call() throws Exception {
        Map<String, Map<String, List<JsonNode>>> byRow = new LinkedHashMap<>();
        for (String line : Files.readAllLines(raw)) {
            if (!line.startsWith("{")) {
                continue;
            }
            JsonNode run = JSON.readTree(line);
            byRow.computeIfAbsent(key(run), k -> new LinkedHashMap<>())
                    .computeIfAbsent(run.path("server").asText(), k -> new ArrayList<>()).add(run);
        }
        // Peers (uWebSockets, say) get a column and a ratio of their own when the run has them.
        List<String> peers = new ArrayList<>();
        byRow.values().forEach(servers -> servers.keySet().stream()
                .filter(name -> !name.equals("pulse") && !name.equals("netty") && !peers.contains(name))
                .forEach(peers::add));
        StringBuilder table = new StringBuilder("| load | figure | Pulse | Netty built-in |");
        peers.forEach(peer -> table.append(' ').append(peer).append(" |"));
        table.append(" Pulse / Netty |");
        peers.forEach(peer -> table.append(" Pulse / ").append(peer).append(" |"));
        table.append(" Pulse spread | Netty spread | server CPU share (Pulse / Netty) |\n|---|---|---|---|");
        table.append("---|---|".repeat(peers.size())).append("---|---|---|---|\n");
        ArrayNode summary = JSON.createArrayNode();
        List<String> chartLabels = new ArrayList<>();
        List<Double> chartRatios = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<JsonNode>>> entry : byRow.entrySet()) {
            List<JsonNode> pulse = entry.getValue().getOrDefault("pulse", List.of());
            List<JsonNode> netty = entry.getValue().getOrDefault("netty", List.of());
            JsonNode sample = entry.getValue().values().stream().filter(runs -> !runs.isEmpty()).map(runs -> runs.get(0))
                    .findFirst().orElse(null);
            if (sample == null) {
                continue;
            }
            for (Row row : rows(sample)) {
                double p = median(pulse, row.metric());
                double n = median(netty, row.metric());
                double ratio = ratio(row, p, n);
                table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |", entry.getKey(),
                        row.title() + (row.unit().isEmpty() ? "" : " (" + row.unit() + ")"), format(p), format(n)));
                ObjectNode item = summary.addObject();
                item.put("load", entry.getKey()).put("figure", row.title()).put("pulse", p).put("netty", n)
                        .put("ratio", ratio).put("rounds", Math.max(pulse.size(), netty.size()));
                StringBuilder peerRatios = new StringBuilder();
                for (String peer : peers) {
                    double q = median(entry.getValue().getOrDefault(peer, List.of()), row.metric());
                    table.append(' ').append(format(q)).append(" |");
                    peerRatios.append(' ').append(times(ratio(row, p, q))).append(" |");
                    item.put(peer, q);
                }
                table.append(String.format(Locale.ROOT, " %s |%s %s | %s | %s / %s |%n", times(ratio), peerRatios,
                        spread(pulse, row.metric()), spread(netty, row.metric()), share(pulse), share(netty)));
                if (row.metric().endsWith("PerServerCpuSecond") || row.metric().endsWith("PerConnection")) {
                    chartLabels.add(entry.getKey() + (row.metric().startsWith("heap") ? " heap" : row.metric().startsWith("rss") ? " RSS" : ""));
                    chartRatios.add(ratio);
                }
            }
        }
        System.out.print(table);
        Path dir = raw.toAbsolutePath().getParent();
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("summary.json").toFile(), summary);
        Files.writeString(dir.resolve("table.md"), table);
        chart(chartLabels, chartRatios, dir.resolve("chart"));
        return 0;
    }

    /** Pulse's figure against another's, so that above 1 Pulse is better. */
    private static double ratio(Row row, double pulse, double other) {
        return row.higherIsBetter() ? pulse / other : other / pulse;
    }

    private static String key(JsonNode run) {
        switch (run.path("shape").asText()) {
            case "echo":
                return String.format(Locale.ROOT, "echo %d conn × %s, window %d", run.path("connections").asInt(),
                        bytes(run.path("size").asInt()), run.path("window").asInt());
            case "fanout":
                return String.format(Locale.ROOT, "fan-out to %d, %d B, window %d", run.path("subscribers").asInt(),
                        run.path("size").asInt(), run.path("window").asInt());
            case "echo-c":
                return String.format(Locale.ROOT, "echo %d conn × %s, uWS's C load generator", run.path("connections").asInt(),
                        bytes(run.path("size").asInt()));
            case "connect":
                return run.has("path") ? "handshakes on " + run.path("path").asText() : "handshakes";
            case "idle":
                return String.format(Locale.ROOT, "idle %d connections", run.path("connections").asInt());
            default:
                return run.path("shape").asText();
        }
    }

    private static List<Row> rows(JsonNode sample) {
        switch (sample.path("shape").asText()) {
            case "echo":
                return List.of(new Row("msg per server CPU-s", "messagesPerServerCpuSecond", "", true),
                        new Row("msg/s", "messagesPerSecond", "", true),
                        new Row("RTT p99", "p99Us", "µs", false));
            case "echo-c":
                return List.of(new Row("msg per server CPU-s", "messagesPerServerCpuSecond", "", true),
                        new Row("msg/s", "messagesPerSecond", "", true),
                        new Row("server user CPU per msg", "userMicrosPerMessage", "µs", false),
                        new Row("server system CPU per msg", "systemMicrosPerMessage", "µs", false));
            case "fanout":
                return List.of(new Row("deliveries per server CPU-s", "deliveriesPerServerCpuSecond", "", true),
                        new Row("deliveries/s", "deliveriesPerSecond", "", true),
                        new Row("publish-to-delivery p99", "p99Ms", "ms", false));
            case "connect":
                return List.of(new Row("handshakes per server CPU-s", "handshakesPerServerCpuSecond", "", true),
                        new Row("handshakes/s", "handshakesPerSecond", "", true));
            case "idle":
                return List.of(new Row("heap per connection", "heapBytesPerConnection", "B", false),
                        new Row("RSS per connection", "rssBytesPerConnection", "B", false));
            default:
                return List.of();
        }
    }

    private static double median(List<JsonNode> runs, String metric) {
        if (runs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> values = new ArrayList<>();
        runs.forEach(r -> values.add(r.path(metric).asDouble()));
        Collections.sort(values);
        int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    private static String spread(List<JsonNode> runs, String metric) {
        if (runs.isEmpty()) {
            return "–";
        }
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (JsonNode r : runs) {
            min = Math.min(min, r.path(metric).asDouble());
            max = Math.max(max, r.path(metric).asDouble());
        }
        return format(min) + "–" + format(max);
    }

    private static String share(List<JsonNode> runs) {
        double s = median(runs, "serverCpuShare");
        return Double.isNaN(s) || s == 0 ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * s);
    }

    private static String format(double value) {
        if (Double.isNaN(value)) {
            return "–";
        }
        if (Math.abs(value) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, Math.abs(value) < 10 ? "%.2f" : "%.1f", value);
    }

    private static String times(double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "–" : String.format(Locale.ROOT, "%.2f×", ratio);
    }

    private static String bytes(int size) {
        return size >= 1024 ? (size / 1024) + " KiB" : size + " B";
    }

    private static void chart(List<String> labels, List<Double> ratios, Path file) throws Exception {
        if (labels.isEmpty()) {
            return;
        }
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(600)
                .title("Pulse / Netty built-in (per server CPU-second; memory: Netty / Pulse)")
                .xAxisTitle("load").yAxisTitle("ratio (> 1: Pulse better)").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.addSeries("ratio", labels, ratios);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
