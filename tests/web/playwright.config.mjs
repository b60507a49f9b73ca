// The browser tests of Slate's web app (make web): Debian's Chromium, driven
// by Playwright, against a real `slate serve` started by each spec file
// (tests/web/lib/slate.mjs). One worker: the machine has two cores, one
// for the server and one for the browser.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs$/,
  outputDir: '../../build/web/results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      // the test server's certificate is its own, self-signed: a service
      // worker is registered only when the browser accepts it
      args: ['--ignore-certificate-errors'],
    },
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    isMobile: false,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
