package dev.pulse.server.delta;

/** A delta that is not in the Fossil format, or that does not fit the source it is applied to. */
public final class DeltaFormatException extends IllegalArgumentException {

    public DeltaFormatException(String message) {
        super(message);
    }
}
