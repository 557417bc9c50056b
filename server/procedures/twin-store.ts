// The twins the server offers: every *.twin.json in the twins directory, loaded and checked at
// start-up (a twin that fails its checks is left out and logged, not served). Ids come from the
// bundles, never from file paths a client gives.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TwinguideError, isTwinguideError } from '../../protocol/index.ts';
import { loadTwinFile } from '../twin/load-twin.ts';
import type { Twin } from '../twin/twin.ts';

export class TwinStore {
  private readonly twins = new Map<string, { twin: Twin; file: string }>();

  static async load(dir: string, log: (message: string) => void): Promise<TwinStore> {
    const store = new TwinStore();
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.twin.json')).sort();
    } catch (e) {
      log(`no twins directory ${dir}: ${(e as Error).message}`);
    }
    for (const f of files) {
      const file = join(dir, f);
      try {
        const twin = await loadTwinFile(file);
        if (store.twins.has(twin.meta.id)) {
          log(`twin id '${twin.meta.id}' in ${file} is already served from ${store.twins.get(twin.meta.id)!.file}; skipped`);
          await twin.close();
          continue;
        }
        store.twins.set(twin.meta.id, { twin, file });
      } catch (e) {
        log(`twin ${file} refused: ${isTwinguideError(e) ? `${e.code}: ${e.message}` : String(e)}`);
      }
    }
    return store;
  }

  list(): Twin[] {
    return [...this.twins.values()].map((t) => t.twin);
  }

  get(id: string): Twin {
    const entry = this.twins.get(id);
    if (!entry) throw new TwinguideError('TG_ERR_NOT_FOUND', `no twin '${id}'`);
    return entry.twin;
  }

  file(id: string): string {
    this.get(id);
    return this.twins.get(id)!.file;
  }

  async close(): Promise<void> {
    for (const { twin } of this.twins.values()) await twin.close();
    this.twins.clear();
  }
}
