/**
 * Test support shared by every module through pulse-codec's test-jar: the leak check that fails a
 * test class on any Netty {@code LEAK:} report, and builders for raw frames.
 */
package dev.pulse.testing;
