/**
 * Who may connect and how much: the origin allow-list, token authentication, connection limits
 * (server-wide and per IP) and the per-connection message rate. The HTTP refusals (403, 401,
 * 503, 429) are decided in {@link dev.pulse.server.access.AccessPolicy}.
 */
package dev.pulse.server.access;
