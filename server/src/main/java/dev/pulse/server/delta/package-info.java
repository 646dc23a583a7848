/**
 * Delta compression of a channel's messages: the Fossil delta format
 * (<a href="https://fossil-scm.org/home/doc/tip/www/delta_format.wiki">delta_format.wiki</a>),
 * made by {@link dev.pulse.server.delta.FossilDeltaEncoder} against the channel's previous
 * message and applied by {@link dev.pulse.server.delta.FossilDeltaDecoder} (and by
 * {@code pulse.js} in the browser). Which subscribers get a delta is the broadcaster's decision;
 * {@code docs/PROTOCOL.md} documents the wire format.
 */
package dev.pulse.server.delta;
