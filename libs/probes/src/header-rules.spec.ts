import * as http from 'node:http';
import { headerNameProblem, headerValueProblem } from '@gameday/core';

// The spec's header rules (libs/core, pure) must never accept what Node's http client, which the
// probes use, refuses: that mismatch is what once threw out of a probe and stopped the worker.

const CHARACTERS = [
  ...Array.from({ length: 256 }, (_, c) => String.fromCharCode(c)),
  '€',
  '\u0100',
  '😀',
  '\u2028',
  '\ufeff',
];

function nodeAccepts(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe("the spec's header rules against Node's http client", () => {
  it('accepts no header value Node refuses, and none with CR, LF or NUL', () => {
    const disagreements = CHARACTERS.map((c) => `a${c}b`).filter(
      (v) =>
        headerValueProblem(v) === undefined &&
        (!nodeAccepts(() => http.validateHeaderValue('x-test', v)) ||
          ['\r', '\n', '\u0000'].some((c) => v.includes(c))),
    );
    expect(disagreements).toEqual([]);
  });

  it('accepts no header name Node refuses', () => {
    const disagreements = CHARACTERS.map((c) => `X${c}A`).filter(
      (n) => headerNameProblem(n) === undefined && !nodeAccepts(() => http.validateHeaderName(n)),
    );
    expect(disagreements).toEqual([]);
  });
});
