package dev.pulse.server.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RS256 and ES256 tokens verified with public keys from a PEM file and a JWKS file; no algorithm confusion. */
class AsymmetricTokenTest {

    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";

    @RegisterExtension
    final TestServer server = new TestServer();

    @TempDir
    Path dir;

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private Path pem(KeyPair pair) throws Exception {
        Path file = Files.createTempFile(dir, "key", ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    private static String b64(BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes[0] == 0 && bytes.length > 1) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private Path jwks(KeyPair rsa, KeyPair ec) throws Exception {
        RSAPublicKey r = (RSAPublicKey) rsa.getPublic();
        ECPublicKey e = (ECPublicKey) ec.getPublic();
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"" + b64(r.getModulus()) + "\",\"e\":\""
                + b64(r.getPublicExponent()) + "\"},{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",\"x\":\""
                + b64(e.getW().getAffineX()) + "\",\"y\":\"" + b64(e.getW().getAffineY()) + "\"}]}");
        return file;
    }

    private int status(String token) throws Exception {
        return RawHttp.exchange(server.port(), "GET /ws?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").status();
    }

    private static String sign(String kid, Algorithm algorithm) {
        return JWT.create().withKeyId(kid).withSubject("alice").withExpiresAt(Instant.now().plusSeconds(60)).sign(algorithm);
    }

    @Test
    void pemKeysVerifyTheirTokensAndOnlyThose() throws Exception {
        KeyPair rsa = rsa();
        KeyPair ec = ec();
        List<String> files = List.of(pemString(rsa), pemString(ec));
        server.start(b -> b.jwtKeys(files));
        try (JsonClient alice = JsonClient.connect(server,
                sign(null, Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate())))) {
            assertEquals("alice", alice.join("c", null).get("members").get(0).get("name").asText());
        }
        try (JsonClient alice = JsonClient.connect(server, sign(null, Algorithm.ECDSA256(null, (ECPrivateKey) ec.getPrivate())))) {
            alice.join("c", null);
        }
        assertEquals(401, status(sign(null, Algorithm.RSA256(null, (RSAPrivateKey) rsa().getPrivate()))), "another key");
        assertEquals(401, status(sign(null, Algorithm.HMAC256(SECRET))), "no secret: an HS256 token verifies with nothing");
        assertEquals(401, status(JWT.create().withSubject("alice").sign(Algorithm.none())), "alg none");
        String pemAsSecret = Files.readString(pem(rsa));
        assertEquals(401, status(sign(null, Algorithm.HMAC256(pemAsSecret))),
                "the public key used as an HMAC secret: the classic confusion, refused");
    }

    private String pemString(KeyPair pair) throws Exception {
        return pem(pair).toString();
    }

    @Test
    void aJwksFileChoosesTheKeyByKidBesideTheSecret() throws Exception {
        KeyPair rsa = rsa();
        KeyPair ec = ec();
        String file = jwks(rsa, ec).toString();
        server.start(b -> b.jwtSecret(SECRET).jwtKeys(List.of(file)));
        JsonClient.connect(server, sign("r1", Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate()))).close();
        JsonClient.connect(server, sign("e1", Algorithm.ECDSA256(null, (ECPrivateKey) ec.getPrivate()))).close();
        JsonClient.connect(server, sign(null, Algorithm.HMAC256(SECRET))).close();
        assertEquals(401, status(sign("e1", Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate()))), "the kid of another key");
        assertEquals(401, status(sign("nope", Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate()))), "an unknown kid");
    }

    @Test
    void aKeyFileThatIsNeitherStopsStartUp() throws Exception {
        Path bad = dir.resolve("bad.pem");
        Files.writeString(bad, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> server.start(b -> b.jwtKeys(List.of(bad.toString()))));
        assertTrue(refused.getMessage().startsWith(bad + ": not a PEM public key"), refused.getMessage());
    }
}
