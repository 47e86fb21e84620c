import * as http from 'node:http';
import * as https from 'node:https';
import { EgressGuard } from './egress-guard';

/**
 * POSTs a JSON body to a webhook through the egress policy: resolved and checked once, connected
 * to the checked address, and a redirect is a failure (never followed: a 307 to the metadata
 * service must not be a way around the policy). Rejects with the reason on any failure.
 */
export async function postWebhook(url: string, body: string, egress: EgressGuard, timeoutMs: number): Promise<void> {
  const checked = await egress.check(url);
  if (!checked.ok) throw new Error(checked.reason);
  const u = new URL(url);
  const transport = u.protocol === 'https:' ? https : http;
  await new Promise<void>((resolve, reject) => {
    const req = transport.request(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
        lookup: EgressGuard.lookupFor(checked),
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) reject(new Error(`HTTP ${status}: redirects are not followed`));
        else if (status < 200 || status >= 300) reject(new Error(`HTTP ${status}`));
        else resolve();
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
