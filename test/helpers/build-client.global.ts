// vitest global setup: build the browser client once (only when stale), before servers start.
import { ensureClientBuilt } from '../../tools/build-client.ts';

export default async function setup(): Promise<void> {
  await ensureClientBuilt();
}
