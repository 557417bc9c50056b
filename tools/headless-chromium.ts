// Debian's Chromium, headless, as the browser tests, the display bench and the screenshot tools
// launch it: software GL (SwiftShader), no sandbox (root in CI), and none of the background
// networking that this closed network refuses. playwright-core gives each launch a fresh profile.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/lib/chromium/chromium';
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
