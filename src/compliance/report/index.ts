import type { GatePolicy, GateReport } from '../model.js';
import { renderJson } from './json.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export const REPORT_FORMATS = ['text', 'markdown', 'sarif', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `options` shape the Markdown report: whether the gate is enforced, and where the whole report is. */
export function renderReport(format: ReportFormat, report: GateReport, policy: GatePolicy, options: MarkdownOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, policy);
    case 'markdown':
      return renderMarkdown(report, policy, options);
    case 'sarif':
      return renderSarif(report);
    case 'json':
      return renderJson(report);
  }
}
