package dev.pulse.server.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * A Netty transport: how event loops are made and which server and client channel classes go with them.
 */
public enum Transport {

    EPOLL("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class) {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }
    },
    NIO("nio", NioServerSocketChannel.class, NioSocketChannel.class) {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }
    };

    private final String displayName;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final Class<? extends SocketChannel> socketChannelClass;

    Transport(String displayName, Class<? extends ServerChannel> serverChannelClass,
              Class<? extends SocketChannel> socketChannelClass) {
        this.displayName = displayName;
        this.serverChannelClass = serverChannelClass;
        this.socketChannelClass = socketChannelClass;
    }

    abstract IoHandlerFactory ioHandlerFactory();

    /** Epoll when asked for and its native library loads on this machine; NIO otherwise. */
    public static Transport select(boolean preferNative) {
        return preferNative && Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** Why epoll is not in use, for the start-up log; null when it is available. */
    public static Throwable nativeUnavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    /**
     * @param threads 0 for one thread per available processor
     */
    public EventLoopGroup newEventLoopGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threadCount(threads), new DefaultThreadFactory(name), ioHandlerFactory());
    }

    /** The threads a group asked for with {@code threads} gets. */
    public int threadCount(int threads) {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return serverChannelClass;
    }

    /** The channel class of connections this transport's event loops open to other servers. */
    public Class<? extends SocketChannel> socketChannelClass() {
        return socketChannelClass;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
