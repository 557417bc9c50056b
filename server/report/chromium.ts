// Debian's Chromium, headless: the report's PDF is printed by it, and the browser tests, the
// display bench and the screenshot tools launch it the same way: software GL (SwiftShader), no
// sandbox (root in CI), none of the background networking a closed network refuses.
// playwright-core gives each launch a fresh profile.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['TWINGUIDE_CHROMIUM'] ?? '/usr/lib/chromium/chromium';
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
