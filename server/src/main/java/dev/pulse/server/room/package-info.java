/**
 * Channels of {@code /ws} (called rooms in code, to keep them apart from Netty's channels):
 * membership, presence, per-channel sequence numbers and history. Each
 * {@link dev.pulse.server.room.Room} lives on one event loop, which serialises its joins, leaves
 * and publishes, so sequence numbers, history and delivery order agree without locks.
 */
package dev.pulse.server.room;
