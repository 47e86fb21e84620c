import { reportFormatFor } from './report-format';

describe('reportFormatFor', () => {
  it.each([
    ['report.html', undefined, 'html'],
    ['REPORT.HTM', undefined, 'html'],
    ['report.md', undefined, 'markdown'],
    ['report.markdown', undefined, 'markdown'],
    [undefined, undefined, 'markdown'],
    ['-', undefined, 'markdown'],
    ['report.txt', 'html', 'html'],
    ['report.html', 'md', 'markdown'],
    [undefined, 'HTML', 'html'],
    ['results.xml', undefined, 'junit'],
    ['report.JSON', undefined, 'json'],
    [undefined, 'junit', 'junit'],
    [undefined, 'xml', 'junit'],
    ['report.md', 'json', 'json'],
  ])('%s with --format %s → %s', (file, format, expected) => {
    expect(reportFormatFor(file, format)).toBe(expected);
  });

  it('refuses what it cannot tell', () => {
    expect(() => reportFormatFor('report.pdf', undefined)).toThrow(
      /cannot tell the format from "\.pdf"; use \.html, \.md, \.xml \(JUnit\) or \.json/,
    );
    expect(() => reportFormatFor('report', undefined)).toThrow(/"no extension"/);
    expect(() => reportFormatFor(undefined, 'pdf')).toThrow(/--format: "pdf" is not html, markdown, junit or json/);
  });
});
