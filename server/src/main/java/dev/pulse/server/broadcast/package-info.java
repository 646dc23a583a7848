/**
 * Fan-out: a frame is encoded once ({@link dev.pulse.server.broadcast.Broadcaster#encodeText})
 * and written to every {@link dev.pulse.server.broadcast.Subscriber} of an
 * {@link dev.pulse.server.broadcast.Audience}, one task per event loop; the frames of one loop
 * batch reach each subscriber's socket as one buffer, in one flush after the loop's next I/O
 * poll. The {@link dev.pulse.server.broadcast.SlowConsumerPolicy} of a topic decides what
 * happens when a subscriber's queued bytes would pass its bound; that decision is made in
 * {@link dev.pulse.server.broadcast.Subscriber#deliver}, and so is whether a member that takes
 * deltas gets a message's delta or the whole message (only when the last message of the channel
 * written to it is the delta's base).
 */
package dev.pulse.server.broadcast;
