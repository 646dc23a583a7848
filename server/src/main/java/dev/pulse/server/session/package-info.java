/**
 * The {@code /ws} endpoint: one {@link dev.pulse.server.session.SessionHandler} per connection
 * turns JSON requests into room operations and direct messages, and answers bad input with
 * {@code error} messages while keeping the connection open.
 */
package dev.pulse.server.session;
