import { waitFor } from '../../support/harness';

/**
 * The browser tests' GameDay: a container pause on `target`, probed over HTTP at `url`. Arming has
 * 5 s of its own: beside CI's other lanes a pause's arming took over 5 s, and with none reserved it
 * ate the 3 s baseline and the run failed.
 */
export function gameDayYaml(name: string, url: string, target: string, fault: string) {
  return `name: ${name}
timezone: Europe/Paris
schedule:
  at: "${new Date(Date.now() + 3 * 3600_000).toISOString()}"
participants:
  - name: joe
    timezone: Australia/Sydney
experiments:
  - name: pause the target
    hypothesis:
      description: the target fails while paused and is back right after
      probes:
        - name: target
          url: ${url}
          timeoutMs: 300
          interval: 100ms
      tolerances:
        fault:
          minErrorRate: 0.5
        recovery:
          maxErrorRate: 0.5
    fault:
      kind: container
      target:
        container: ${target}
      action: pause
    durations:
      arming: 5s
      baseline: 3s
      fault: ${fault}
      recovery: 3s
`;
}

/** Waits until a locator's text matches (polling: the page updates itself from the stream). */
export async function expectText(
  locator: { innerText: () => Promise<string>; first: () => { innerText: () => Promise<string> } },
  pattern: RegExp,
  timeoutMs = 5_000,
) {
  let last = '';
  await waitFor(
    `text matching ${pattern} (last seen: "${last}")`,
    async () => {
      last = await locator
        .first()
        .innerText()
        .catch(() => '');
      return pattern.test(last) || null;
    },
    timeoutMs,
    50,
  ).catch(() => {
    throw new Error(`expected text matching ${pattern}, last seen: "${last.slice(0, 400)}"`);
  });
}

export async function expectValue(locator: { inputValue: () => Promise<string> }, pattern: RegExp, timeoutMs = 5_000) {
  await waitFor(`a value matching ${pattern}`, async () => pattern.test(await locator.inputValue()) || null, timeoutMs);
}
