/**
 * @tensorslim/conformance — the conformance suite of a format plugin, for the plugin's own tests.
 * In a test file of the plugin, import {@link describePluginConformance} and call it with the
 * plugin object and what the suite needs to know about the format (its uniform ranks, random
 * members): see {@link ConformanceOptions}. It registers vitest tests, so vitest is a peer
 * dependency; `@tensorslim/core` never imports this package.
 *
 * @packageDocumentation
 */
export * from './conformance.js';
