/**
 * The {@code GET /health} answer: liveness, readiness and a few live figures as JSON.
 */
package dev.pulse.server.health;
