package dev.pulse.server.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Verifies JSON Web Tokens (java-jwt): HS256 with a shared secret, RS256 and ES256 with public
 * keys ({@link TokenKeys}), of two kinds:
 *
 * <ul>
 *   <li>a <b>connection token</b>: {@code sub} (required; the session's name), {@code exp}
 *       (at which the session closes with 4001 unless refreshed), {@code admin}, {@code channels}
 *       (see {@link Grants}) and {@code direct};</li>
 *   <li>a <b>subscription token</b>, issued by the application's backend for one user and one
 *       channel: {@code sub} (the connection's subject), {@code channel}, {@code exp} (at which
 *       the session leaves the channel) and {@code rights} (default all four).</li>
 * </ul>
 *
 * A token of one kind is refused where the other is expected (a subscription token has a
 * {@code channel} claim, a connection token must not).
 */
public final class TokenAuthenticator {

    /** What a verified subscription token grants: {@code rights} in {@code channel} until {@code expiresAt} (null: no expiry). */
    public record Subscription(String channel, Set<Right> rights, Instant expiresAt) { }

    private static final String CHANNEL = "channel";

    /** The HS256 verifier, or null without a secret. */
    private final JWTVerifier hmac;
    /** A verifier per public key, by key id (null for a key without one). */
    private final java.util.List<java.util.Map.Entry<String, JWTVerifier>> keys = new java.util.ArrayList<>();

    public TokenAuthenticator(String secret) {
        this(secret, java.util.List.of());
    }

    /**
     * @param secret the HS256 secret, or null
     * @param keys the public keys that verify RS256 and ES256 tokens
     */
    public TokenAuthenticator(String secret, java.util.List<TokenKeys.Key> keys) {
        if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("the JWT secret must be at least 32 bytes for HS256");
        }
        this.hmac = secret == null ? null : JWT.require(Algorithm.HMAC256(secret)).build();
        for (TokenKeys.Key key : keys) {
            this.keys.add(java.util.Map.entry(key.kid() == null ? "" : key.kid(), JWT.require(key.algorithm()).build()));
        }
    }

    /**
     * Verifies a connection token.
     *
     * @throws AuthenticationException when the token is malformed, badly signed, expired, has no
     *                                 subject, is a subscription token or has claims of the wrong shape
     */
    public Principal verify(String token) throws AuthenticationException {
        DecodedJWT jwt = decode(token);
        if (!jwt.getClaim(CHANNEL).isMissing()) {
            throw new AuthenticationException("a subscription token is not a connection token");
        }
        Grants grants = null;
        Claim channels = jwt.getClaim("channels");
        if (!channels.isMissing() && !channels.isNull()) {
            try {
                grants = Grants.fromClaim(channels.as(Object.class));
            } catch (RuntimeException e) {
                throw new AuthenticationException("the token's channels claim: " + e.getMessage());
            }
        }
        return new Principal(subject(jwt), jwt.getExpiresAtAsInstant(), flag(jwt, "admin"), grants, flag(jwt, "direct"));
    }

    /**
     * Verifies a subscription token for {@code channel}, held by the session of {@code subject}.
     *
     * @throws AuthenticationException when it does not verify, or names another channel or user
     */
    public Subscription verifySubscription(String token, String subject, String channel) throws AuthenticationException {
        DecodedJWT jwt = decode(token);
        if (!channel.equals(jwt.getClaim(CHANNEL).asString())) {
            throw new AuthenticationException("the subscription token is not for " + channel);
        }
        if (!subject(jwt).equals(subject)) {
            throw new AuthenticationException("the subscription token is for another user");
        }
        Set<Right> rights = EnumSet.allOf(Right.class);
        Claim claim = jwt.getClaim("rights");
        if (!claim.isMissing() && !claim.isNull()) {
            try {
                rights = Grants.rights(claim.as(Object.class));
            } catch (RuntimeException e) {
                throw new AuthenticationException("the subscription token's rights: " + e.getMessage());
            }
        }
        return new Subscription(channel, rights, jwt.getExpiresAtAsInstant());
    }

    /**
     * Verifies with the key the token's header asks for: HS256 with the secret, RS256 or ES256 with
     * the public key of its {@code kid} (or, without one, each public key of that algorithm). A
     * token whose algorithm the server has no key for is invalid: a public key never verifies an
     * HS256 token, nor the secret an RS256 one.
     */
    private DecodedJWT decode(String token) throws AuthenticationException {
        try {
            DecodedJWT unverified = JWT.decode(token);
            String alg = unverified.getAlgorithm();
            if ("HS256".equals(alg)) {
                if (hmac == null) {
                    throw new AuthenticationException("invalid token");
                }
                return hmac.verify(unverified);
            }
            if (!"RS256".equals(alg) && !"ES256".equals(alg)) {
                throw new AuthenticationException("invalid token");
            }
            String kid = unverified.getKeyId();
            JWTVerificationException last = null;
            for (java.util.Map.Entry<String, JWTVerifier> key : keys) {
                if (kid != null && !kid.equals(key.getKey())) {
                    continue;
                }
                try {
                    return key.getValue().verify(unverified);
                } catch (TokenExpiredException e) {
                    throw e;
                } catch (JWTVerificationException e) {
                    last = e;
                }
            }
            if (last != null) {
                throw last;
            }
            throw new AuthenticationException("invalid token");
        } catch (TokenExpiredException e) {
            throw new AuthenticationException("token expired");
        } catch (JWTVerificationException e) {
            // The library's wording names claims and exact times: the client learns no more than this.
            throw new AuthenticationException("invalid token");
        }
    }

    private static String subject(DecodedJWT jwt) throws AuthenticationException {
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new AuthenticationException("the token has no subject");
        }
        return subject;
    }

    private static boolean flag(DecodedJWT jwt, String name) throws AuthenticationException {
        Claim claim = jwt.getClaim(name);
        if (claim.isMissing() || claim.isNull()) {
            return false;
        }
        Boolean value = claim.asBoolean();
        if (value == null) {
            throw new AuthenticationException("the token's " + name + " claim must be true or false");
        }
        return value;
    }

    /** A refused token; the client caused it, so no stack trace. */
    public static final class AuthenticationException extends Exception {
        private static final long serialVersionUID = 1L;

        public AuthenticationException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
