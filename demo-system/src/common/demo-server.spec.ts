import { routeLabel } from './demo-server';

describe('routeLabel', () => {
  it('keeps known routes and folds everything else into one label', () => {
    const known = ['/', '/healthz', '/metrics'];
    expect(routeLabel('/', known)).toBe('/');
    expect(routeLabel('/healthz', known)).toBe('/healthz');
    expect(routeLabel('/wp-admin/x.php', known)).toBe('unmatched');
  });
});
