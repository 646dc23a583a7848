/**
 * Tests of the Docker image: built from the repository's Dockerfile with Testcontainers and
 * driven through its mapped port. Run by Failsafe after the fat jar is packaged.
 */
package dev.pulse.server.docker;
