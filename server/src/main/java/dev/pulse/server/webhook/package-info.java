/**
 * Webhooks: channel occupied and vacated, member joined and left, sent to the application's
 * backend in signed batches from a bounded queue, retried with backoff
 * ({@link dev.pulse.server.webhook.Webhooks}).
 */
package dev.pulse.server.webhook;
