/**
 * Relay rooms at {@code /rooms/NAME}: every text or binary message one member sends goes, as it
 * is, to every other member of the room, for clients that speak no protocol of Pulse's.
 */
package dev.pulse.server.relay;
