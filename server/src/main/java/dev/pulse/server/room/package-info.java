/**
 * Channels (called rooms in code, to keep them apart from Netty's channels), in one table held to
 * {@code --max-channels}: the channels of {@code /ws}, socket.io and the line door, with
 * membership, presence, per-channel sequence numbers and history ({@link dev.pulse.server.room.Room}),
 * and the raw relay rooms, which keep no history ({@link dev.pulse.server.room.RelayRoom}). Each
 * room lives on one event loop, which serialises its joins, leaves and publishes, so sequence
 * numbers, history and delivery order agree without locks. Where channels live (this process or
 * Redis) is behind {@link dev.pulse.server.room.ChannelEngine}.
 */
package dev.pulse.server.room;
