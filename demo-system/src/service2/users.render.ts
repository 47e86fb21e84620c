export interface UserRow {
  name: string;
  nickname: string;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** Exactly the classic demo's page: `<h1>Data</h1><p><table><tr><td>joe</td><td>cool</td></tr></table></p>`. */
export function renderUsers(rows: readonly UserRow[]): string {
  const cells = rows.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.nickname)}</td></tr>`).join('');
  return `<h1>Data</h1><p><table>${cells}</table></p>`;
}
