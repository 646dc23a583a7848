/**
 * Benchmarks: JMH codec benchmarks ({@code codec}) and the load generator ({@code load}), which
 * compare Pulse with Netty's built-in WebSocket codec. A placeholder until the bench issue.
 */
package dev.pulse.bench;
