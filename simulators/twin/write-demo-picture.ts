// npm run docs:picture — renders docs/demo-twin.png from data/twins/demo.twin.json.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { renderTwinPreview } from './render-preview.ts';

const twinFile = process.argv[2] ?? fileURLToPath(new URL('../../data/twins/demo.twin.json', import.meta.url));
const out = process.argv[3] ?? fileURLToPath(new URL('../../docs/demo-twin.png', import.meta.url));
const twin = await loadTwinFile(twinFile, { loadModel: false });
writeFileSync(out, renderTwinPreview(twin));
console.log(`wrote ${out}`);
