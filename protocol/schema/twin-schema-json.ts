// Renders the twin bundle schema as a standalone draft-07 JSON Schema document (what
// protocol/schema/twin.schema.json holds), for validators outside this code base.

import { TwinBundleSchema } from '../twin-schema.ts';

export function twinSchemaDocument(): string {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(TwinBundleSchema)) as Record<string, unknown>;
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...plain }, null, 2)}\n`;
}
