import { describeFault, describeFaults } from './run-report.service';
import { reportFormat } from './runs.controller';

describe('report format negotiation', () => {
  it.each([
    [undefined, undefined, 'html'],
    ['', undefined, 'html'],
    ['*/*', undefined, 'html'],
    ['text/html', undefined, 'html'],
    ['text/markdown', undefined, 'markdown'],
    ['text/x-markdown', undefined, 'markdown'],
    ['text/html;q=0.5, text/markdown', undefined, 'markdown'],
    ['text/markdown;q=0.2, text/html;q=0.9', undefined, 'html'],
    ['application/json, */*;q=0.1', undefined, 'json'],
    ['application/json', undefined, 'json'],
    ['application/xml', undefined, 'junit'],
    ['text/xml', undefined, 'junit'],
    ['application/junit+xml;q=0.9, text/html;q=0.1', undefined, 'junit'],
    ['application/*', undefined, 'junit'],
    ['image/png, */*;q=0.1', undefined, 'html'],
    ['text/markdown;q=0, text/*', undefined, 'html'],
    ['image/png', undefined, null],
    ['application/json', 'markdown', 'markdown'],
    ['text/html', 'junit', 'junit'],
    ['text/html', 'json', 'json'],
    ['text/markdown', 'html', 'html'],
  ] as const)('Accept %j with ?format=%s → %s', (accept, format, expected) => {
    expect(reportFormat(accept, format)).toBe(expected);
  });
});

describe('describeFault', () => {
  it('writes a fault on one line', () => {
    expect(
      describeFault({
        kind: 'network',
        target: { container: 'demo-service2-1', selection: { mode: 'one' } },
        netem: { delay: '500ms', jitter: '100ms' },
        scope: { destinations: ['10.0.0.0/8', '192.168.0.0/16'] },
      }),
    ).toBe(
      'network fault on container=demo-service2-1 selection={mode=one}: netem={delay=500ms jitter=100ms} scope={destinations=[10.0.0.0/8, 192.168.0.0/16]}',
    );
    expect(describeFault({ kind: 'container', target: { labels: { app: 'x' } }, action: 'pause' })).toBe(
      'container fault on labels={app=x}: action=pause',
    );
    expect(
      describeFault({
        kind: 'partition',
        between: [{ compose: { project: 'shop', service: 'api' } }, { container: 'db' }],
        action: 'drop',
      }),
    ).toBe('partition fault on between [{compose={project=shop service=api}}, {container=db}]: action=drop');
  });
});

describe('describeFaults', () => {
  it('places each step in the fault window; a single fault reads as before', () => {
    const pause = (container: string) => ({ kind: 'container', target: { container }, action: 'pause' }) as never;
    const exp = (more: object) => ({ durations: { fault: '1m' }, ...more }) as never;
    expect(describeFaults(exp({ fault: pause('a') }))).toBe('container fault on container=a: action=pause');
    expect(
      describeFaults(
        exp({
          steps: [
            { name: 'one', fault: pause('a'), duration: '20s' },
            { name: 'two', fault: pause('b'), after: 'one' },
          ],
        }),
      ),
    ).toBe(
      'step "one" at +0s for 20s: container fault on container=a: action=pause; step "two" at +20s for 40s: container fault on container=b: action=pause',
    );
  });
});
