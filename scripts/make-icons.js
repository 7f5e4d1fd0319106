// Renders resources/icon.svg and the tray states to PNG with the test Chromium. Run by hand when the artwork
// changes (`node scripts/make-icons.js`); the PNGs are committed so packaging needs no browser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ring = (color) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <circle cx="32" cy="32" r="24" fill="none" stroke="${color}" stroke-width="14"/>
  <circle cx="32" cy="32" r="24" fill="none" stroke="#fff" stroke-width="14" stroke-dasharray="18.85 18.85" stroke-dashoffset="9.42"/>
  <circle cx="32" cy="32" r="31" fill="none" stroke="#00000033" stroke-width="2"/>
</svg>`;
const art = [
  { file: 'resources/icon.png', svg: ring('#e8590c'), size: 512 },
  { file: 'resources/tray/tray-idle.png', svg: ring('#868e96'), size: 32 },
  { file: 'resources/tray/tray-ok.png', svg: ring('#2f9e44'), size: 32 },
  { file: 'resources/tray/tray-warning.png', svg: ring('#f08c00'), size: 32 },
  { file: 'resources/tray/tray-breach.png', svg: ring('#e03131'), size: 32 },
];

const browser = await chromium.launch({
  executablePath: process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage();
for (const { file, svg, size } of art) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
  );
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  await page.screenshot({ path: path.join(root, file), omitBackground: true });
  // The tray also wants a @2x variant for high-DPI screens.
  if (size === 32) {
    await page.setViewportSize({ width: 64, height: 64 });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', '<svg width="64" height="64" ')}</body></html>`,
    );
    await page.screenshot({ path: path.join(root, file.replace('.png', '@2x.png')), omitBackground: true });
  }
}
fs.writeFileSync(path.join(root, 'resources/icon.svg'), ring('#e8590c'));
fs.writeFileSync(path.join(root, 'renderer/public/lifeboat.svg'), ring('#e8590c'));
await browser.close();
console.log(`icons: ${art.length} written`);
