/**
 * The compress report as this pipeline fills it: `@tensorslim/report`'s record, builders and
 * writer (the pipeline's report stage calls them), with the stored settings typed as admm's
 * {@link CompressSettings}. The pipeline modules import the report from here, in one place.
 *
 * @module
 */
import type { CompressReport as ReportOf } from '@tensorslim/report';
import type { CompressSettings } from './options.js';

export type { Arm, MethodResult, ReportLayer } from '@tensorslim/report';
export { buildMethodResult, buildReport, writeReport } from '@tensorslim/report';

/** The report of a compress run (`@tensorslim/report`'s `CompressReport` storing admm's settings). */
export type CompressReport = ReportOf<CompressSettings>;
