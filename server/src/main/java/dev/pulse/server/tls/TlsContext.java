package dev.pulse.server.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

/**
 * The server's TLS: the current {@link SslContext}, from which every new connection gets its
 * {@link SslHandler}. TLS 1.2 and 1.3 only, ALPN {@code http/1.1}, OpenSSL (netty-tcnative's
 * BoringSSL) when it loads and the JDK's provider otherwise.
 *
 * <p>Certificates from files are checked for a change every reload interval; a changed pair is
 * loaded and serves every connection made from then on, while open connections keep theirs. A
 * pair that fails to load (a half-written file, a key that does not match) is logged and the
 * previous one stays.
 */
public final class TlsContext {

    private static final Logger log = LoggerFactory.getLogger(TlsContext.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Path certFile;
    private final Path keyFile;
    private final long handshakeTimeoutMillis;
    private final SslProvider provider;
    private volatile Loaded current;
    private ScheduledFuture<?> watch;

    /** A loaded certificate: its context, its expiry, and what its files looked like. */
    private record Loaded(SslContext context, Instant notAfter, String subject, FileTime certTime, FileTime keyTime) { }

    private TlsContext(Path certFile, Path keyFile, long handshakeTimeoutMillis, Loaded first) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.provider = provider();
        this.current = first;
    }

    /** The provider that serves TLS here. */
    static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * TLS from a PEM certificate chain (the server's certificate first) and its PKCS#8 key.
     *
     * @throws IOException when the files cannot be read or do not make a certificate and key
     */
    public static TlsContext fromFiles(Path certFile, Path keyFile, Duration handshakeTimeout) throws IOException {
        Loaded first = load(certFile, keyFile);
        TlsContext tls = new TlsContext(certFile, keyFile, handshakeTimeout.toMillis(), first);
        log.info("TLS with {} (expires {}), provider {}", first.subject, first.notAfter, tls.providerName());
        return tls;
    }

    /**
     * TLS with a certificate for {@code localhost} and {@code 127.0.0.1} made now, with the JDK's
     * {@code keytool}, good for 30 days: for development, never for production.
     */
    public static TlsContext selfSigned(Duration handshakeTimeout) throws IOException {
        KeyStore store = SelfSignedCertificate.create();
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, SelfSignedCertificate.PASSWORD);
            X509Certificate certificate = (X509Certificate) store.getCertificate(SelfSignedCertificate.ALIAS);
            Loaded loaded = new Loaded(builder(SslContextBuilder.forServer(keys)).build(),
                    certificate.getNotAfter().toInstant(), certificate.getSubjectX500Principal().getName(), null, null);
            TlsContext tls = new TlsContext(null, null, handshakeTimeout.toMillis(), loaded);
            log.warn("TLS with a SELF-SIGNED certificate made at start-up ({}): browsers will warn, clients must be told "
                    + "to trust it; for development only, use --tls-cert and --tls-key in production", loaded.subject);
            return tls;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("the self-signed certificate cannot be used: " + e.getMessage(), e);
        }
    }

    private static Loaded load(Path certFile, Path keyFile) throws IOException {
        for (Path file : new Path[] {certFile, keyFile}) {
            if (!Files.isReadable(file)) {
                throw new IOException("TLS: cannot read " + file.toAbsolutePath());
            }
        }
        FileTime certTime = Files.getLastModifiedTime(certFile);
        FileTime keyTime = Files.getLastModifiedTime(keyFile);
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(certFile)) {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException | ClassCastException e) {
            throw new IOException(certFile + " holds no PEM X.509 certificate: " + e.getMessage(), e);
        }
        try {
            SslContext context = builder(SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())).build();
            return new Loaded(context, certificate.getNotAfter().toInstant(),
                    certificate.getSubjectX500Principal().getName(), certTime, keyTime);
        } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
            throw new IOException("cannot use " + certFile + " with " + keyFile + " (a PEM chain and its PKCS#8 key): "
                    + e.getMessage(), e);
        }
    }

    private static SslContextBuilder builder(SslContextBuilder builder) {
        return builder.sslProvider(provider())
                .protocols(PROTOCOLS)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
    }

    /** Checks the files every {@code interval} on {@code executor}; nothing to do for a self-signed certificate. */
    public void watch(EventExecutor executor, Duration interval) {
        if (certFile != null) {
            long nanos = interval.toNanos();
            watch = executor.scheduleWithFixedDelay(this::reloadIfChanged, nanos, nanos, TimeUnit.NANOSECONDS);
        }
    }

    public void stop() {
        if (watch != null) {
            watch.cancel(false);
        }
    }

    /** Loads the files again when either has changed since the last load; keeps the old pair when they fail to load. */
    void reloadIfChanged() {
        Loaded loaded = current;
        try {
            if (Objects.equals(Files.getLastModifiedTime(certFile), loaded.certTime)
                    && Objects.equals(Files.getLastModifiedTime(keyFile), loaded.keyTime)) {
                return;
            }
            current = load(certFile, keyFile);
            log.info("TLS certificate reloaded: {} (expires {}) for new connections", current.subject, current.notAfter);
        } catch (IOException e) {
            log.warn("TLS certificate files changed but cannot be loaded, keeping the previous one: {}", e.getMessage());
        }
    }

    /** A handler for a new connection, with the current certificate and the handshake timeout. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler handler = current.context.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return handler;
    }

    public String providerName() {
        return provider == SslProvider.OPENSSL ? "OpenSSL (" + OpenSsl.versionString() + ")" : "JDK";
    }

    /** When the current certificate expires. */
    public Instant notAfter() {
        return current.notAfter;
    }

    public String subject() {
        return current.subject;
    }
}
