/**
 * @tensorslim/report — reports of training and compression runs: dependency-free building blocks
 * (Markdown tables, SVG line plots, number formatting) and the compress report (its record, the
 * Markdown page, the plots, the writer of report.json / report.md / *.svg). It imports only
 * `@tensorslim/core` (plan and layer-report types, atomic writes), never `@tensorslim/admm`:
 * admm's compress pipeline calls {@link writeReport}, so the records a report reads (epochs,
 * ADMM updates, evaluations, the settings it prints) are defined here and admm re-exports them.
 *
 * @packageDocumentation
 */
export * from './markdown.js';
export * from './svg-plot.js';
export * from './records.js';
export * from './compress-report.js';
