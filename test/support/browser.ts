// Headless Chromium (Debian's, found by test/run.ts) driven by playwright-core, plus console helpers.
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { env } from './system';

/** `extraArgs`: more Chromium switches, e.g. a fake camera (see fake-camera.ts). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** A fresh page (own storage) of the given width, signed in with `token` through the sign-in form. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  token: string,
  viewport = { width: 1280, height: 900 },
  start = '/',
): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.goto(`${baseUrl}${start}`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(env.output, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
