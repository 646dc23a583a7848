package dev.pulse.server.access;

import java.util.List;

/**
 * What {@link AccessPolicy} decides with besides the {@link Authentication}: the origins, the connection limits and
 * the trusted proxies. Made from the server's options by {@code ServerConfig.access()}, which
 * validates them and documents their defaults.
 *
 * @param allowedOrigins browser origins allowed besides the server's own ({@code --allowed-origins})
 * @param allowMissingOrigin whether clients that send no {@code Origin} are admitted
 * @param publicOrigins the server's own origins as browsers see them; empty to trust {@code Host}
 * @param tls whether the server speaks TLS (its own origin is then {@code https})
 * @param maxConnections slots in all, 0 for no limit
 * @param maxConnectionsPerIp slots per client address, 0 for no limit
 * @param maxPollingSessionsPerIp socket.io polling sessions per client address, 0 for no limit
 * @param trustedProxies proxies (IPs, CIDR blocks) whose {@code X-Forwarded-For} names the client
 */
public record AccessConfig(List<String> allowedOrigins, boolean allowMissingOrigin, List<String> publicOrigins,
                           boolean tls, int maxConnections, int maxConnectionsPerIp,
                           int maxPollingSessionsPerIp, List<String> trustedProxies) {
}
