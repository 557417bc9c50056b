// The report's HTML printed to PDF by headless Chromium (A4, backgrounds on). Without Chromium the
// HTML still works; the PDF is refused with TG_ERR_REPORT saying what to install.

import { TwinguideError } from '../../protocol/index.ts';
import { CHROMIUM, chromiumAvailable, launchChromium } from './chromium.ts';

export async function reportPdf(html: string): Promise<Buffer> {
  if (!chromiumAvailable()) throw new TwinguideError('TG_ERR_REPORT', `a PDF report needs Chromium at ${CHROMIUM} (apt-get install chromium, or set TWINGUIDE_CHROMIUM); ask for the HTML report instead`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
