package dev.pulse.server.room;

import java.time.Duration;

/**
 * The bounds of the channel table, made from the server's options by
 * {@code ServerConfig.channelLimits()}, which validates them and documents their defaults.
 *
 * @param maxChannels channels (and relay rooms) held at once ({@code --max-channels})
 * @param historySize messages each channel keeps
 * @param historyBytes bytes of history each channel keeps
 * @param historyTotalBytes bytes of history all channels keep together
 * @param idleTimeout how long a channel without members keeps its history
 * @param presenceLimit members beyond which presence is neither listed nor announced
 * @param maxQueuedBytes the bound on one connection's queue, which answers (history, members) stay within
 */
public record ChannelLimits(int maxChannels, int historySize, int historyBytes, int historyTotalBytes,
                            Duration idleTimeout, int presenceLimit, int maxQueuedBytes) {
}
