package dev.pulse.server.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * How a session proves who it is, and what that lets it do: the connection token (or the API key
 * given as one), subscription tokens, and the {@link ChannelRules}. One per server, shared by every
 * door: {@code /ws}, socket.io, the line door, relay rooms.
 */
public final class Authentication {

    private final TokenAuthenticator tokens;
    private final byte[] apiKey;
    private final ChannelRules rules;

    /**
     * @param jwtSecret the HS256 secret, or null when the server verifies no tokens
     * @param apiKey the HTTP API's key, which also names an admin when given as a token; or null
     * @param rules who may do what in which channel
     */
    public Authentication(String jwtSecret, String apiKey, ChannelRules rules) {
        this(jwtSecret, java.util.List.of(), apiKey, rules);
    }

    /**
     * @param jwtKeys files of public keys for RS256 and ES256 tokens ({@link TokenKeys})
     */
    public Authentication(String jwtSecret, java.util.List<String> jwtKeys, String apiKey, ChannelRules rules) {
        java.util.List<TokenKeys.Key> keys = new java.util.ArrayList<>();
        jwtKeys.forEach(file -> keys.addAll(TokenKeys.load(file)));
        this.tokens = jwtSecret == null && keys.isEmpty() ? null : new TokenAuthenticator(jwtSecret, keys);
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.rules = rules;
    }

    /** No tokens, no key, every channel open. */
    public static Authentication none() {
        return new Authentication(null, null, ChannelRules.open());
    }

    /** Whether a session may come in without a token: no JWT secret, or a namespace open to anyone. */
    public boolean admitsAnonymous() {
        return tokens == null || rules.admitsAnonymous();
    }

    /** Whether tokens are looked at at all (a JWT secret or an API key is configured). */
    public boolean acceptsTokens() {
        return tokens != null || apiKey != null;
    }

    /**
     * Who {@code token} names: an admin for the API key, else the verified connection token.
     *
     * @throws TokenAuthenticator.AuthenticationException when it is neither
     */
    public Principal authenticate(String token) throws TokenAuthenticator.AuthenticationException {
        if (apiKey != null && MessageDigest.isEqual(apiKey, token.getBytes(StandardCharsets.UTF_8))) {
            return Principal.API_KEY;
        }
        if (tokens == null) {
            throw new TokenAuthenticator.AuthenticationException("invalid token");
        }
        return tokens.verify(token);
    }

    /**
     * What a subscription token grants {@code principal} in {@code channel}.
     *
     * @throws TokenAuthenticator.AuthenticationException when it does not verify, or the session is anonymous
     */
    public TokenAuthenticator.Subscription subscription(String token, Principal principal, String channel)
            throws TokenAuthenticator.AuthenticationException {
        if (tokens == null) {
            throw new TokenAuthenticator.AuthenticationException("this server takes no subscription tokens (no JWT secret or keys)");
        }
        if (principal == null) {
            throw new TokenAuthenticator.AuthenticationException("a subscription token needs an authenticated connection");
        }
        return tokens.verifySubscription(token, principal.subject(), channel);
    }

    public ChannelRules rules() {
        return rules;
    }
}
