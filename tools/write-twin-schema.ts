// npm run gen:schema: writes protocol/schema/twin.schema.json from the TypeBox source.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { twinSchemaDocument } from '../protocol/schema/twin-schema-json.ts';

const out = fileURLToPath(new URL('../protocol/schema/twin.schema.json', import.meta.url));
writeFileSync(out, twinSchemaDocument());
console.log(`wrote ${out}`);
