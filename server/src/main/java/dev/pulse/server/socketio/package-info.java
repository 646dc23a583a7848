/**
 * The wire formats socket.io clients speak (issue 14, under way): Engine.IO protocol 4 packets and
 * long-polling payloads ({@link dev.pulse.server.socketio.EngineIoPacket}) and Socket.IO protocol 5
 * packets ({@link dev.pulse.server.socketio.SocketIoPacket}). Parsing only, for now: the transports
 * and the mapping onto channels come next.
 */
package dev.pulse.server.socketio;
