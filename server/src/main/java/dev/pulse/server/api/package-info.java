/**
 * The HTTP API under {@code /api/}, for backends: publish to channels, read channels and their
 * history, disconnect clients, push to relay rooms. JSON over HTTP on the server's port, with a
 * bearer key.
 */
package dev.pulse.server.api;
