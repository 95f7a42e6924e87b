/**
 * Report helpers shared by the compress pipeline and the experiment runner: SVG line plots and
 * Markdown tables, with no dependencies.
 *
 * @module
 */
export * from './svg-plot.js';
export * from './markdown.js';
