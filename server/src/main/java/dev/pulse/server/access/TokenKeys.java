package dev.pulse.server.access;

import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The public keys that verify RS256 and ES256 tokens, from files ({@code --jwt-keys}): a PEM
 * public key ({@code -----BEGIN PUBLIC KEY-----}, RSA or EC P-256), or a JSON Web Key Set
 * ({@code {"keys":[{"kty":"RSA","kid":"k1","n":"...","e":"AQAB"}, {"kty":"EC","crv":"P-256",...}]}}),
 * whose {@code kid}s pick the key a token's header names.
 */
public final class TokenKeys {

    /** One key: its id (null from a PEM file, or a JWK without one) and the algorithm that verifies with it. */
    public record Key(String kid, Algorithm algorithm) { }

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenKeys() {
    }

    /**
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static List<Key> load(String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        try {
            return text.trim().startsWith("{") ? jwks(text) : List.of(new Key(null, algorithm(pem(text))));
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a PEM public key or a JWKS of RSA and P-256 keys ("
                    + e.getMessage() + ")");
        }
    }

    private static PublicKey pem(String text) throws GeneralSecurityException {
        String base64 = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(base64);
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        }
    }

    private static List<Key> jwks(String text) throws IOException, GeneralSecurityException {
        List<Key> keys = new ArrayList<>();
        JsonNode set = JSON.readTree(text).get("keys");
        if (set == null || !set.isArray() || set.isEmpty()) {
            throw new IllegalArgumentException("no \"keys\" array");
        }
        Base64.Decoder url = Base64.getUrlDecoder();
        for (JsonNode jwk : set) {
            String kid = jwk.hasNonNull("kid") ? jwk.get("kid").asText() : null;
            PublicKey key;
            switch (jwk.path("kty").asText()) {
                case "RSA" -> key = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                        new BigInteger(1, url.decode(jwk.get("n").asText())), new BigInteger(1, url.decode(jwk.get("e").asText()))));
                case "EC" -> {
                    if (!"P-256".equals(jwk.path("crv").asText())) {
                        throw new IllegalArgumentException("EC keys must be P-256 (ES256): " + jwk.path("crv").asText());
                    }
                    AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
                    parameters.init(new ECGenParameterSpec("secp256r1"));
                    key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                            new ECPoint(new BigInteger(1, url.decode(jwk.get("x").asText())),
                                    new BigInteger(1, url.decode(jwk.get("y").asText()))),
                            parameters.getParameterSpec(ECParameterSpec.class)));
                }
                default -> throw new IllegalArgumentException("unsupported kty " + jwk.path("kty").asText());
            }
            keys.add(new Key(kid, algorithm(key)));
        }
        return keys;
    }

    private static Algorithm algorithm(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return Algorithm.RSA256(rsa, null);
        }
        if (key instanceof ECPublicKey ec) {
            return Algorithm.ECDSA256(ec, null);
        }
        throw new IllegalArgumentException("neither RSA nor EC: " + key.getAlgorithm());
    }
}
