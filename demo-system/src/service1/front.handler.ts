import { DemoResponse } from '../common/demo-server';
import { parseTimeout } from './timeout';
import { UpstreamResult } from './upstream.client';

export interface FrontDeps {
  upstreamUrl: string;
  fetchUpstream(url: string, timeoutMs: number | undefined): Promise<UpstreamResult>;
  onTimeout(): void;
}

/** service1's only page: the upstream body as is, or an error the hypothesis can observe. */
export async function handleFront(url: URL, deps: FrontDeps): Promise<DemoResponse> {
  const timeout = parseTimeout(url.searchParams);
  if (!timeout.ok) return { status: 400, body: `${timeout.error}\n`, contentType: 'text/plain' };
  const result = await deps.fetchUpstream(deps.upstreamUrl, timeout.timeoutMs);
  switch (result.kind) {
    case 'ok':
      if (result.status >= 200 && result.status < 300) return { status: 200, body: result.body };
      return { status: 502, body: `upstream answered ${result.status}\n`, contentType: 'text/plain' };
    case 'timeout':
      deps.onTimeout();
      return {
        status: 500,
        body: `upstream did not answer within ${timeout.timeoutMs} ms\n`,
        contentType: 'text/plain',
      };
    case 'error':
      return { status: 502, body: `upstream unreachable: ${result.error}\n`, contentType: 'text/plain' };
  }
}
