import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type ReportFormat } from '../api';
import { RunStepLanes } from '../components/step-lanes';
import { Link } from '../router';
import { ErrorBox } from '../ui';

/** Saves text as a file without putting the token in a URL. */
function download(text: string, type: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const DOWNLOADS: Record<Exclude<ReportFormat, 'html'>, [type: string, ext: string]> = {
  markdown: ['text/markdown', 'md'],
  junit: ['application/xml', 'xml'],
  json: ['application/json', 'json'],
};

/**
 * GET /runs/:id/report fetched with the token and shown in a sandboxed frame: the report is a
 * self-contained page (inline styles, no scripts), the sandbox keeps it from doing anything else.
 */
export function ReportPage({ id }: { id: string }) {
  const report = useQuery({ queryKey: ['run', id, 'report'], queryFn: () => api.report(id, 'html') });
  // the run itself for its step lanes (the same as the room's, from the result once ended)
  const run = useQuery({ queryKey: ['run', id], queryFn: () => api.run(id) }).data ?? null;
  const html = report.data ?? null;
  const [failed, setError] = useState<unknown>(null);
  const error = report.error ?? failed;
  /** Formats fetched on demand: Markdown for a post-mortem, JUnit XML and JSON for pipelines. */
  const fetched = async (format: Exclude<ReportFormat, 'html'>) => {
    const [type, ext] = DOWNLOADS[format];
    try {
      download(await api.report(id, format), type, `gameday-run-${id}.${ext}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main className="report">
      <p className="crumbs">
        <Link href={`/runs/${id}`}>Back to the run</Link>
      </p>
      <div className="title-row">
        <h1>Run report</h1>
        <span>
          <button
            type="button"
            className="secondary"
            disabled={!html}
            onClick={() => download(html!, 'text/html', `gameday-run-${id}.html`)}
          >
            Download HTML
          </button>{' '}
          <button type="button" className="secondary" onClick={() => fetched('markdown')}>
            Download Markdown
          </button>{' '}
          <button type="button" className="secondary" onClick={() => fetched('junit')}>
            Download JUnit XML
          </button>{' '}
          <button type="button" className="secondary" onClick={() => fetched('json')}>
            Download JSON
          </button>
        </span>
      </div>
      <ErrorBox error={error} />
      {run && <RunStepLanes run={run} />}
      {html && <iframe title="Run report" sandbox="" srcDoc={html} className="report-frame" />}
    </main>
  );
}
