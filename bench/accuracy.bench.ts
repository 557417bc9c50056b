// npm run bench:accuracy: the pipeline against simulator ground truth (see simulators/device/accuracy.ts).
import { fileURLToPath } from 'node:url';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { accuracyReport, formatAccuracy } from '../simulators/device/accuracy.ts';

const json = process.argv.includes('--json');
const demo = await loadTwinFile(fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url)));
try {
  const report = await accuracyReport(demo, json ? {} : { progress: (line) => console.error(line) });
  console.log(json ? JSON.stringify(report) : formatAccuracy(report));
} finally {
  await demo.close();
}
