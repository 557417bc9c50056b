// npm run gen:readme: rewrites the error table in README.md from protocol/errors.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorTableMarkdown } from '../protocol/errors.ts';

const file = fileURLToPath(new URL('../README.md', import.meta.url));
const text = readFileSync(file, 'utf8');
const start = text.indexOf('<!-- errors:start -->');
const end = text.indexOf('<!-- errors:end -->');
if (start < 0 || end < start) throw new Error('README.md has no <!-- errors:start --> … <!-- errors:end --> block');
const head = text.slice(0, start + '<!-- errors:start -->'.length);
writeFileSync(file, `${head}\n${errorTableMarkdown()}\n${text.slice(end)}`);
console.log(`updated the error table in ${file}`);
