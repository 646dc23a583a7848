/**
 * Fan-out: a frame is encoded once ({@link dev.pulse.server.broadcast.Broadcaster#encodeText})
 * and written as a retained duplicate to every {@link dev.pulse.server.broadcast.Subscriber} of
 * an {@link dev.pulse.server.broadcast.Audience}, one task per event loop, one flush per
 * subscriber per loop batch. The {@link dev.pulse.server.broadcast.SlowConsumerPolicy} of a
 * topic decides what happens when a subscriber's queued bytes would pass its bound; that
 * decision is made in {@link dev.pulse.server.broadcast.Subscriber#deliver}.
 */
package dev.pulse.server.broadcast;
