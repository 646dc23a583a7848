package dev.pulse.server.broadcast;

import io.netty.channel.EventLoop;

import java.util.Arrays;

/**
 * The subscribers of one topic, grouped by event loop so that a broadcast costs one task per
 * loop rather than one per subscriber. Changed by one thread only (the topic's owner); the
 * groups are copied on change, so a broadcast in flight on another loop keeps the group it was
 * given.
 */
public final class Audience {

    private static final Subscriber[][] NONE = new Subscriber[0][];

    private Subscriber[][] groups = NONE;
    private int size;
    private int sharedCompression;

    public void add(Subscriber subscriber) {
        if (subscriber.sharesCompression()) {
            sharedCompression++;
        }
        EventLoop loop = subscriber.loop();
        for (int i = 0; i < groups.length; i++) {
            if (groups[i][0].loop() == loop) {
                Subscriber[] grown = Arrays.copyOf(groups[i], groups[i].length + 1);
                grown[grown.length - 1] = subscriber;
                Subscriber[][] copy = groups.clone();
                copy[i] = grown;
                groups = copy;
                size++;
                return;
            }
        }
        Subscriber[][] copy = Arrays.copyOf(groups, groups.length + 1);
        copy[groups.length] = new Subscriber[] {subscriber};
        groups = copy;
        size++;
    }

    public void remove(Subscriber subscriber) {
        for (int i = 0; i < groups.length; i++) {
            Subscriber[] group = groups[i];
            for (int j = 0; j < group.length; j++) {
                if (group[j] == subscriber) {
                    if (subscriber.sharesCompression()) {
                        sharedCompression--;
                    }
                    Subscriber[][] copy;
                    if (group.length == 1) {
                        copy = new Subscriber[groups.length - 1][];
                        System.arraycopy(groups, 0, copy, 0, i);
                        System.arraycopy(groups, i + 1, copy, i, groups.length - i - 1);
                    } else {
                        Subscriber[] shrunk = new Subscriber[group.length - 1];
                        System.arraycopy(group, 0, shrunk, 0, j);
                        System.arraycopy(group, j + 1, shrunk, j, group.length - j - 1);
                        copy = groups.clone();
                        copy[i] = shrunk;
                    }
                    groups = copy;
                    size--;
                    return;
                }
            }
        }
    }

    /** A new audience of the subscribers here that {@code keep} accepts. */
    public Audience filtered(java.util.function.Predicate<Subscriber> keep) {
        Audience kept = new Audience();
        for (Subscriber[] group : groups) {
            for (Subscriber subscriber : group) {
                if (keep.test(subscriber)) {
                    kept.add(subscriber);
                }
            }
        }
        return kept;
    }

    public int size() {
        return size;
    }

    /** Members that take the broadcaster's shared compressed copy of a message. */
    int sharedCompressionMembers() {
        return sharedCompression;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    Subscriber[][] groups() {
        return groups;
    }
}
