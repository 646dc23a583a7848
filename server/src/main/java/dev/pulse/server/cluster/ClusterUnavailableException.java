package dev.pulse.server.cluster;

/** A command to the cluster's Redis failed: it is unreachable, too slow, or refused the command. */
public final class ClusterUnavailableException extends RuntimeException {

    ClusterUnavailableException(Throwable cause) {
        super("the cluster's Redis did not answer: " + cause.getMessage(), cause);
    }
}
