/**
 * TLS on the server's port: certificates from PEM files (reloaded when they change) or made at
 * start-up for development, OpenSSL (BoringSSL) when it loads and the JDK's provider otherwise.
 */
package dev.pulse.server.tls;
