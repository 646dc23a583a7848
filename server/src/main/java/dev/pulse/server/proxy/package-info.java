/**
 * The backend in the loop: the application's HTTP endpoints asked, asynchronously, whether a
 * session may join a channel or publish, and to answer a client's {@code rpc}
 * ({@link dev.pulse.server.proxy.BackendProxy}); requests signed with a shared secret
 * ({@link dev.pulse.server.proxy.Signature}).
 */
package dev.pulse.server.proxy;
