import { renderUsers } from './users.render';

describe('renderUsers', () => {
  it('renders the classic demo page byte for byte', () => {
    expect(renderUsers([{ name: 'joe', nickname: 'cool' }])).toBe(
      '<h1>Data</h1><p><table><tr><td>joe</td><td>cool</td></tr></table></p>',
    );
  });

  it('renders an empty table when there are no users', () => {
    expect(renderUsers([])).toBe('<h1>Data</h1><p><table></table></p>');
  });

  it('escapes HTML in stored values', () => {
    expect(renderUsers([{ name: '<b>x</b>', nickname: `a&"'` }])).toBe(
      '<h1>Data</h1><p><table><tr><td>&lt;b&gt;x&lt;/b&gt;</td><td>a&amp;&quot;&#39;</td></tr></table></p>',
    );
  });
});
