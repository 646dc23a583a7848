/**
 * The {@code /echo} endpoint: every text and binary message comes back unchanged.
 */
package dev.pulse.server.echo;
