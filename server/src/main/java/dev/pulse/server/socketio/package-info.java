/**
 * socket.io clients on {@code /socket.io/}: Engine.IO protocol 4 ({@link
 * dev.pulse.server.socketio.EngineIoServer} answers long-polling and says which WebSockets may open
 * or upgrade a session; each session is an {@link dev.pulse.server.socketio.EngineIoChannel}, a
 * channel of its own whatever transport carries it) and Socket.IO protocol 5 ({@link
 * dev.pulse.server.socketio.SocketIoCodec}, which maps events onto the same
 * {@link dev.pulse.server.session.SessionHandler} as {@code /ws}). The packet formats are
 * {@link dev.pulse.server.socketio.EngineIoPacket} and {@link dev.pulse.server.socketio.SocketIoPacket}.
 * docs/SOCKETIO.md is the user's view.
 */
package dev.pulse.server.socketio;
