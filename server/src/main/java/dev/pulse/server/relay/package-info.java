/**
 * The relay-room door, {@code /rooms/NAME}: every text or binary message one member sends goes, as
 * it is, to every other member of the room, for clients that speak no protocol of Pulse's. Each
 * member is a {@link dev.pulse.server.session.Session}; the rooms themselves are channels of the
 * one table in {@link dev.pulse.server.room}.
 */
package dev.pulse.server.relay;
