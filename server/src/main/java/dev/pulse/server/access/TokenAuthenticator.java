package dev.pulse.server.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Verifies HS256-signed JSON Web Tokens with a shared secret (java-jwt). A token must carry a
 * subject ({@code sub}), which becomes the connection's display name, and may carry an expiry
 * ({@code exp}), at which the connection is closed with 4001.
 */
public final class TokenAuthenticator {

    /** Who a verified token names, and until when it is good; {@code expiresAt} is null without {@code exp}. */
    public record Principal(String subject, Instant expiresAt) { }

    private final JWTVerifier verifier;

    public TokenAuthenticator(String secret) {
        if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("the JWT secret must be at least 32 bytes for HS256");
        }
        this.verifier = JWT.require(Algorithm.HMAC256(secret)).build();
    }

    /**
     * @throws AuthenticationException when the token is malformed, badly signed, expired or has no subject
     */
    public Principal verify(String token) throws AuthenticationException {
        DecodedJWT jwt;
        try {
            jwt = verifier.verify(token);
        } catch (TokenExpiredException e) {
            throw new AuthenticationException("token expired");
        } catch (JWTVerificationException e) {
            // The library's wording names claims and exact times: the client learns no more than this.
            throw new AuthenticationException("invalid token");
        }
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new AuthenticationException("the token has no subject");
        }
        return new Principal(subject, jwt.getExpiresAtAsInstant());
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
