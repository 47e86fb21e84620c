const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML and SVG element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Escapes text for a Markdown table cell or inline text (pipes, newlines, HTML). */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/([`*_[\]|#<>])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

/**
 * Characters XML 1.0 forbids even as references (C0 controls but tab, newline and carriage
 * return; U+FFFE, U+FFFF; lone surrogates): replaced by U+FFFD so a hostile name cannot make the
 * document unreadable.
 */
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // in attribute values a raw tab or line break would be normalised to a space by the reader
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Escapes text for XML element content and (double- or single-quoted) attribute values. */
export function escapeXml(value: unknown): string {
  return String(value ?? '')
    .replace(XML_FORBIDDEN, '\uFFFD')
    .replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c]);
}
