/**
 * The browser page served from the jar: the chat and live dashboard at {@code /}, the
 * {@code /pulse.js} client library, and Chart.js from its WebJar.
 */
package dev.pulse.server.web;
