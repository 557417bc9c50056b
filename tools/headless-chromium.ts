// The tools and tests launch Chromium as the report does (server/report/chromium.ts).
export { CHROMIUM, chromiumAvailable, launchChromium } from '../server/report/chromium.ts';
