/**
 * Server configuration: the immutable {@link dev.pulse.server.config.ServerConfig} with its
 * defaults, and the command line and environment variables that fill it.
 */
package dev.pulse.server.config;
