package dev.pulse.server.line;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;

/**
 * The line door's decoder under a fuzzer (Jazzer): any bytes, cut anywhere, give only lines of
 * valid UTF-8 within the bound and refusals; it never holds more than the bound, and releases
 * everything. {@code ./mvnw verify} replays the committed corpus; {@code JAZZER_FUZZ=1} fuzzes.
 */
class LineDecoderFuzzTest {

    private static final int MAX = 64;

    @FuzzTest(maxDuration = "60s")
    void anyBytesAreLinesWithinTheBoundOrRefusals(FuzzedDataProvider data) {
        LineDecoder decoder = new LineDecoder(MAX);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        java.util.List<ByteBuf> given = new java.util.ArrayList<>();
        while (data.remainingBytes() > 0) {
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 100));
            ByteBuf in = Unpooled.buffer(chunk.length).writeBytes(chunk);
            given.add(in);
            channel.writeInbound(in);
            if (decoder.held() > MAX) {
                throw new IllegalStateException("holds " + decoder.held() + " bytes of an unfinished line, over the bound");
            }
            Object out;
            while ((out = channel.readInbound()) != null) {
                if (out instanceof String line) {
                    byte[] utf8 = line.getBytes(StandardCharsets.UTF_8);
                    if (utf8.length + 1 > MAX || line.indexOf('\n') >= 0) {
                        throw new IllegalStateException("a line over the bound, or with a newline: " + line);
                    }
                } else if (!(out instanceof LineDecoder.Refused)) {
                    throw new IllegalStateException("neither a line nor a refusal: " + out);
                }
            }
        }
        channel.finishAndReleaseAll();
        for (ByteBuf in : given) {
            if (in.refCnt() != 0) {
                throw new IllegalStateException("a chunk given to the decoder was never released");
            }
        }
    }
}
