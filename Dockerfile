# Pulse server image. Build the jar first, then the image:
#   ./mvnw -B -DskipTests package
#   docker build -t pulse .
# Without a registry, build a local JRE base image and name it (see README, "Docker"):
#   bash docker/build-base-image.sh pulse/jre-base:17
#   docker build --build-arg BASE_IMAGE=pulse/jre-base:17 -t pulse .
ARG BASE_IMAGE=eclipse-temurin:21-jre
FROM ${BASE_IMAGE}

WORKDIR /app
COPY server/target/pulse-server.jar /app/pulse-server.jar

# Not root: a numeric user needs no entry in the base image's /etc/passwd.
USER 10001:10001
ENV HOME=/tmp

# Configuration comes from PULSE_* environment variables (see README); extra JVM flags from
# JAVA_TOOL_OPTIONS. The JVM sizes its heap from the container's memory limit and runs ZGC (pauses
# under a millisecond; another collector needs an entrypoint of your own, since two conflict).
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=3 \
    CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-cp", "/app/pulse-server.jar", "dev.pulse.server.health.HealthProbe"]

# java is PID 1 so that SIGTERM (docker stop) reaches Pulse's graceful shutdown:
# Close 1001 to every client, then exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:+UseZGC", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/pulse-server.jar"]
