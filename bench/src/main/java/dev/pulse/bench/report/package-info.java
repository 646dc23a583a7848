/**
 * Turns the JSON lines of a comparison run into the table of {@code bench/RESULTS.md}, a JSON
 * summary and a PNG chart.
 */
package dev.pulse.bench.report;
