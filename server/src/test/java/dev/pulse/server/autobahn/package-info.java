/**
 * The Autobahn|Testsuite run: the server the fuzzing client tests, and the check that reads its
 * report. Bound into the build by the {@code autobahn} profile of the server module.
 */
package dev.pulse.server.autobahn;
