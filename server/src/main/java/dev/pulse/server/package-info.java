/**
 * The Pulse server: {@link dev.pulse.server.PulseServer} starts and stops it and is the
 * {@code main} of {@code pulse-server.jar}. Features live in the subpackages: {@code config},
 * {@code transport}, {@code pipeline}, {@code echo}, {@code health}.
 */
package dev.pulse.server;
