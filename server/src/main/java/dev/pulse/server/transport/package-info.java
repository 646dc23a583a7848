/**
 * The choice of Netty transport: native epoll where it loads, NIO everywhere else.
 */
package dev.pulse.server.transport;
