package dev.pulse.codec;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §5.2, §5.4, §5.5, §7.4: frames a peer must never send fail the connection with 1002. */
class FrameDecoderProtocolErrorTest {

    private static final int PROTOCOL_ERROR = 1002;

    @ParameterizedTest(name = "opcode 0x{0}")
    @ValueSource(ints = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
    void reservedOpcodeIsAProtocolError(int opcode) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(opcode).payload("x"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "rsv {0}")
    @ValueSource(ints = {1, 2, 4, 7})
    void reservedBitsWithoutAnExtensionAreAProtocolError(int rsv) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).rsv(rsv).payload("x"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void reservedBitAllowedByANegotiatedExtensionPasses() {
        WebSocketDecoderConfig config = WebSocketDecoderConfig.builder().allowedRsvBits(4).build();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(config)) {
            decoder.write(frame(WebSocketOpcode.BINARY).rsv(4).payload("x"));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals(4, frame.rsv());
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void serverRejectsUnmaskedClientFrame() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).unmasked().payload("x"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void clientRejectsMaskedServerFrame() {
        WebSocketDecoderConfig client = WebSocketDecoderConfig.builder().expectMaskedFrames(false).build();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(client)) {
            decoder.write(frame(WebSocketOpcode.TEXT).payload("x"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {WebSocketOpcode.PING, WebSocketOpcode.PONG, WebSocketOpcode.CLOSE})
    void controlFramePayloadOver125BytesIsAProtocolError(int opcode) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(opcode).payload(new byte[126]));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {WebSocketOpcode.PING, WebSocketOpcode.PONG, WebSocketOpcode.CLOSE})
    void fragmentedControlFrameIsAProtocolError(int opcode) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(opcode).fin(false));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void controlFrameOf125BytesIsAllowed() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.PING).payload(new byte[125]));
            decoder.read().release();
            assertTrue(decoder.errors.isEmpty());
        }
    }

    @Test
    void lengthWithTheMostSignificantBitSetIsAProtocolError() {
        byte[] header = {(byte) 0x82, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 1};
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(Unpooled.wrappedBuffer(header));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void lengthNotInItsShortestFormIsAProtocolError() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.BINARY).payload(new byte[5]).lengthField(126));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.BINARY).payload(new byte[300]).lengthField(127));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void continuationWithoutAStartedMessageIsAProtocolError() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CONTINUATION).payload("orphan"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void continuationAfterACompletedMessageIsAProtocolError() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).fin(false).payload("a"),
                    frame(WebSocketOpcode.CONTINUATION).payload("b"),
                    frame(WebSocketOpcode.CONTINUATION).payload("c"));
            decoder.read().release();
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {WebSocketOpcode.TEXT, WebSocketOpcode.BINARY})
    void newDataFrameInsideAFragmentedMessageIsAProtocolError(int opcode) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.BINARY).fin(false).payload("a"), frame(opcode).payload("b"));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @Test
    void closeFrameWithOneBytePayloadIsAProtocolError() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CLOSE).payload(new byte[] {3}));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "code {0}")
    @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
    void closeCodeOutsideTheAllowedRangesIsAProtocolError(int code) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CLOSE).closePayload(code, new byte[0]));
            decoder.assertViolation(PROTOCOL_ERROR);
        }
    }

    @ParameterizedTest(name = "code {0}")
    @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999})
    void closeCodeInTheAllowedRangesIsAccepted(int code) {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CLOSE).closePayload(code, "bye".getBytes()));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals(code, frame.closeStatus().code());
                assertEquals("bye", frame.closeStatus().reason());
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void closeReasonThatIsNotUtf8IsInvalidPayload() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CLOSE).closePayload(1000, new byte[] {'o', 'k', (byte) 0xC0, (byte) 0xAF}));
            decoder.assertViolation(1007);
        }
    }

    @Test
    void inputAfterAViolationIsDiscarded() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(3));
            decoder.write(frame(WebSocketOpcode.TEXT).payload("ignored"));
            decoder.assertViolation(PROTOCOL_ERROR);
            assertNull(decoder.channel.readInbound());
            WebSocketFrameCodec handler = decoder.channel.pipeline().get(WebSocketFrameCodec.class);
            assertEquals(WebSocketFrameCodec.State.CORRUPT, handler.state());
        }
    }
}
