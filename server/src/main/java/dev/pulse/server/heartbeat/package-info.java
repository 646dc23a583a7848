/**
 * Finding dead peers: protocol Pings after a quiet interval, and a close when nothing at all
 * arrives within the timeout, checked by one sweep per event loop.
 */
package dev.pulse.server.heartbeat;
