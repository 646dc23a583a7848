/**
 * Requests that reached the wrong node of a cluster, sent on to the node that can answer them
 * ({@link dev.pulse.server.forward.NodeForwarder}, a small Netty HTTP client on the server's own
 * event loops): how socket.io long-polling works behind a load balancer without sticky sessions.
 * docs/CLUSTER.md is the user's view.
 */
package dev.pulse.server.forward;
