// The README's error table must list exactly the codes of protocol/errors.ts with the same meaning.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, ERROR_CODES, errorTableMarkdown, isErrorCode } from '../../protocol/index.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function readmeTable(): Map<string, string> {
  const start = readme.indexOf('<!-- errors:start -->');
  const end = readme.indexOf('<!-- errors:end -->');
  expect(start, 'README has an <!-- errors:start --> marker').toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  const rows = new Map<string, string>();
  for (const line of readme.slice(start, end).split('\n')) {
    const m = /^\|\s*`(TG_ERR_[A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('error registry', () => {
  it('has stable, well-formed codes with one-line meanings', () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^TG_ERR_[A-Z0-9_]+$/);
      expect(ERRORS[code].length).toBeGreaterThan(10);
      expect(ERRORS[code]).not.toContain('\n');
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode('TG_ERR_NOPE')).toBe(false);
  });

  it('is listed in the README, code for code and meaning for meaning', () => {
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(table.get(code), code).toBe(ERRORS[code]);
  });

  it('generates the table the README holds', () => {
    expect(readme).toContain(errorTableMarkdown());
  });
});
