package dev.pulse.bench;

import dev.pulse.bench.load.ApiLoad;
import dev.pulse.bench.codec.DeflateRatio;
import dev.pulse.bench.codec.DeltaRatio;
import dev.pulse.bench.load.ConnectLoad;
import dev.pulse.bench.load.DeflateMemoryLoad;
import dev.pulse.bench.load.EchoLoad;
import dev.pulse.bench.load.FanoutLoad;
import dev.pulse.bench.load.FloodLoad;
import dev.pulse.bench.load.IdleLoad;
import dev.pulse.bench.load.JoinLoad;
import dev.pulse.bench.load.PublishLoad;
import dev.pulse.bench.reference.ReferenceServer;
import dev.pulse.bench.report.Report;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Arrays;

/**
 * {@code java -jar bench/target/pulse-bench.jar COMMAND ...}: the JMH benchmarks ({@code jmh},
 * which takes JMH's own options), the load shapes ({@code echo}, {@code fanout}, {@code connect},
 * {@code idle}, {@code flood}, {@code api}) and the reference server on Netty's built-in codec ({@code reference-server}).
 */
@Command(name = "pulse-bench", mixinStandardHelpOptions = true,
        subcommands = {ApiLoad.class, DeflateMemoryLoad.class, DeflateRatio.class, DeltaRatio.class, EchoLoad.class, FanoutLoad.class, ConnectLoad.class, JoinLoad.class, PublishLoad.class, IdleLoad.class, FloodLoad.class, ReferenceServer.class,
                Report.class},
        description = "Benchmarks for Pulse: jmh [JMH options], echo, fanout, connect, joins, publishes, idle, flood, api, deflate-memory, deflate-ratio, reference-server, report.")
public final class Bench implements Runnable {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "jmh".equals(args[0])) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
