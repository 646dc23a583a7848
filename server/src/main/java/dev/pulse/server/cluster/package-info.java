/**
 * Several nodes acting as one server over Redis: {@link dev.pulse.server.cluster.RedisEngine} keeps
 * channels' order, history and presence in Redis, carries each channel's messages to the nodes
 * with members of it, and takes dead nodes' members out of presence.
 */
package dev.pulse.server.cluster;
