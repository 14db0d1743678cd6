// A real browser on the explorer: load the page, set the penalty slider, press Run, wait
// for the class in the status element and a drawn chart, then check that a bad value shows
// the server's one-line error and that the server keeps serving. Usage:
//   node explorer.mjs URL SCREENSHOT.png
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
const fail = (message) => { console.error("browser test: " + message); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 20000 });

  // Every control has a label tied to it.
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=range]), select")]
      .filter((el) => !document.querySelector(`label[for="${el.id}"]`)).map((el) => el.id));
  if (unlabelled.length) fail("controls without a label: " + unlabelled.join(", "));

  // Set the penalty slider (as a user releasing it would) and a short run.
  await page.evaluate(() => {
    const slider = document.getElementById("p-accountability-penalty-slider");
    slider.value = "4";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    slider.dispatchEvent(new Event("change", { bubbles: true }));
  });
  const shown = await page.inputValue("#p-accountability-penalty");
  if (Number(shown) !== 4) fail("the slider did not set the penalty: " + shown);
  await page.fill("#steps", "200");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const status = page.getByRole("status");
  await page.waitForFunction(() => /class (abusive|lazy-idle|lazy-routine|innovative|mixed)/
    .test(document.getElementById("status").textContent), null, { timeout: 60000 });
  const text = await status.textContent();
  console.log("status: " + text);

  // The chart is drawn: its canvas has coloured pixels, and the table has every level.
  const inked = await page.evaluate(() => {
    const canvas = document.querySelector("#chart canvas");
    if (!canvas) return 0;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2])) coloured++;
    return coloured;
  });
  if (inked < 100) fail("the chart is empty (" + inked + " coloured pixels)");
  const rows = await page.locator("#table tbody tr").count();
  if (rows !== 5) fail("the equilibrium table has " + rows + " rows, not 5");
  await page.locator("#agents").scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });

  // A bad value: the server's one-line error is shown, and the next run works.
  await page.fill("#p-accountability-penalty", "-5");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await page.waitForFunction(() => document.getElementById("status").className === "error", null, { timeout: 20000 });
  const refusal = await status.textContent();
  if (!refusal.includes("accountability.penalty")) fail("the error does not name the key: " + refusal);
  console.log("refusal: " + refusal);
  await page.fill("#p-accountability-penalty", "2");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await page.waitForFunction(() => /^Done\./.test(document.getElementById("status").textContent), null, { timeout: 60000 });
  const runs = await page.locator("#runs li").count();
  if (runs !== 2) fail("the comparison lists " + runs + " runs, not 2");
  if (errors.length) fail("errors on the page: " + errors.join("; "));
  console.log("browser test: ok");
} finally {
  await browser.close();
}
