/**
 * Tests of the Docker image: built from the repository's Dockerfile with Testcontainers and
 * driven through its mapped port, run by Failsafe after the fat jar is packaged; and of
 * {@code docker/docker-compose.yml}, whose services and monitoring files are read and checked
 * against each other without starting a container.
 */
package dev.pulse.server.docker;
