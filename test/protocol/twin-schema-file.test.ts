// protocol/schema/twin.schema.json is what offline pipelines validate against: it must be current,
// and a plain JSON Schema validator (no twinguide code) must accept the fixture with it.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { twinSchemaDocument } from '../../protocol/schema/twin-schema-json.ts';
import { makeMiniTwin } from '../fixtures/make-mini-twin.ts';

const file = readFileSync(new URL('../../protocol/schema/twin.schema.json', import.meta.url), 'utf8');

describe('twin.schema.json', () => {
  it('is up to date with protocol/twin-schema.ts (run npm run gen:schema)', () => {
    expect(file).toBe(twinSchemaDocument());
  });

  it('validates a twin bundle with a generic validator', () => {
    const validate = new Ajv({ strict: false, strictNumbers: true }).compile(JSON.parse(file) as object);
    expect(validate(makeMiniTwin())).toBe(true);
    const broken = makeMiniTwin() as unknown as { sites: { p: number }[] };
    broken.sites[0]!.p = 1.5;
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/sites/0/p');
  });
});
