/**
 * Report building blocks: SVG line plots and Markdown tables, with no dependencies. The compress
 * report (../report.ts) is written with them, and so are the CLI's experiment, train, inspect
 * and factorize reports.
 *
 * @module
 */
export * from './svg-plot.js';
export * from './markdown.js';
