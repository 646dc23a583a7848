package dev.pulse.server.cluster;

/** A command to the cluster's Redis failed: it is unreachable, too slow, or refused the command. */
public final class ClusterUnavailableException extends RuntimeException {

    ClusterUnavailableException(Throwable cause) {
        super("the cluster's Redis did not answer: " + cause.getMessage(), cause);
    }

    /** Refused without asking Redis: {@code why}. */
    ClusterUnavailableException(String why) {
        super(why);
    }

    /** No stack trace for a refusal that happens by the thousand while Redis is away. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return getCause() == null ? this : super.fillInStackTrace();
    }
}
