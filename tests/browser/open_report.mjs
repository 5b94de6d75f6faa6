// Opens a report in headless Chromium (Debian's /usr/bin/chromium: the
// package cannot download a browser of its own) and prints, as JSON, what
// tests/report_browser.rs asserts: the console's errors, the plots (SVG
// images by their label, with their rendered size) and the page's title.
// Saves a screenshot of the whole page.
//
//   node tests/browser/open_report.mjs REPORT.html SCREENSHOT.png
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [report, screenshot] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error("usage: node open_report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  // Offline: any request for something not inlined is an error.
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) {
      errors.push(`fetched ${r.url()}`);
    }
  });
  await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
  const plots = await page.$$eval("svg[role=img]", (svgs) =>
    svgs.map((s) => {
      const box = s.getBoundingClientRect();
      return { label: s.getAttribute("aria-label"), width: box.width, height: box.height };
    }),
  );
  const title = await page.title();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ title, errors, plots }));
} finally {
  await browser.close();
}
