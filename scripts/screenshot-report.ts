// The README's picture of a report.html: the page from its top down to the charts of the first
// probe, in Debian's headless chromium (src/testing/chromium.ts).
//   node --import tsx scripts/screenshot-report.ts runs/<run>/report.html docs/img/report-html.png
import { launchChromium, openFile } from '../src/testing/chromium.js';

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  console.error('usage: screenshot-report.ts <report.html> <out.png>');
  process.exit(2);
}
await using browser = await launchChromium();
const { page, otherRequests, errors } = await openFile(browser, file, { width: 1100, height: 800 });
if (otherRequests.length > 0 || errors.length > 0)
  throw new Error(`the page is not self-contained: ${[...otherRequests, ...errors].join('; ')}`);
const charts = await page.locator('section.probe .charts').first().boundingBox();
if (!charts) throw new Error(`${file} has no charts`);
const height = Math.ceil(charts.y + charts.height + 12);
// fullPage: a clip below the viewport would otherwise come out cut at its bottom.
await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: 1100, height } });
console.log(`${out}: the top ${height} px of ${file}`);
