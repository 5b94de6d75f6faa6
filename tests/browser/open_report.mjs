// Opens a report in headless Chromium (Debian's /usr/bin/chromium: the
// package cannot download a browser of its own) and prints, as JSON, what
// tests/report_browser.rs asserts: the console's errors, the plots (SVG
// images by their label, with their rendered size), the section titles,
// the pipeline graph's size, the page's title, and the colours of the
// page and of the plots' text in the light and the dark scheme. Saves a
// screenshot of the whole page in each scheme (the dark one as
// SCREENSHOT-dark.png).
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
  const sections = await page.$$eval("h2", (hs) => hs.map((h) => h.textContent));
  const graph = await page.$eval(".graph svg", (s) => {
    const box = s.getBoundingClientRect();
    return { width: box.width, height: box.height };
  }).catch(() => null);
  // The colours a reader sees in each scheme: the page's background and
  // the ink of the plots' labels.
  const colours = async () =>
    page.evaluate(() => ({
      background: getComputedStyle(document.body).backgroundColor,
      plotText: getComputedStyle(document.querySelector('figure svg text[fill="#1d2430"]') ?? document.body).fill,
    }));
  const light = await colours();
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await colours();
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-dark.png"), fullPage: true });
  console.log(JSON.stringify({ title, errors, plots, sections, graph, light, dark }));
} finally {
  await browser.close();
}
