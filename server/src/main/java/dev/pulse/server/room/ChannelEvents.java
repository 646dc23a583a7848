package dev.pulse.server.room;

/**
 * What happens to channels' memberships on this node, as it happens: told by each room on its own
 * loop, so an implementation must be quick and thread-safe (the webhooks queue it).
 */
public interface ChannelEvents {

    ChannelEvents NONE = new ChannelEvents() {
        @Override
        public void memberJoined(String channel, String client, String name, boolean occupied) {
        }

        @Override
        public void memberLeft(String channel, String client, String name, boolean vacated) {
        }
    };

    /** {@code client} became a member of {@code channel}; {@code occupied} when it is the first here. */
    void memberJoined(String channel, String client, String name, boolean occupied);

    /** {@code client} is a member no more (it left, or its connection ended); {@code vacated} when it was the last here. */
    void memberLeft(String channel, String client, String name, boolean vacated);

    /**
     * {@code client} published in {@code channel}, where its namespace asks for these
     * ({@code webhook-publish}): {@code text}, or {@code data} as JSON.
     */
    default void published(String channel, String client, String name, String text, String data) {
    }
}
