/**
 * `@tensorslim/core/testing` — the plugin conformance suite, for a format plugin's own tests.
 * vitest, an optional peer dependency of core, is needed by this entry point only; core's main
 * entry never imports it. In a test file of the plugin, import `describePluginConformance` from
 * this entry and call it with the plugin object and what the suite needs to know about the
 * format (its uniform ranks, random members): see {@link ConformanceOptions}.
 *
 * @module
 */
export * from './conformance.js';
