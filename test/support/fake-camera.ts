// A camera for browser tests: a barcode drawn into a small Y4M video that Chromium plays as its
// webcam (--use-file-for-fake-video-capture), and a browser launched with that camera allowed.
import fs from 'node:fs';
import { BarcodeFormat, EncodeHintType, QRCodeWriter } from '@zxing/library';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';

/**
 * Writes `text` as a QR code (what @zxing/browser reads, like the labels' codes) into a grey-scale
 * YUV 4:2:0 Y4M file: a text header, then per frame "FRAME\n", the luma plane and two flat chroma planes.
 */
export function writeBarcodeVideo(text: string, file: string, opts = { width: 320, height: 240, frames: 3 }) {
  const { width, height, frames } = opts;
  const side = Math.min(width, height) - 40;
  const code = new QRCodeWriter().encode(
    text,
    BarcodeFormat.QR_CODE,
    side,
    side,
    new Map<EncodeHintType, unknown>([[EncodeHintType.MARGIN, 4]]),
  );
  const luma = Buffer.alloc(width * height, 255);
  const left = Math.floor((width - code.getWidth()) / 2);
  const top = Math.floor((height - code.getHeight()) / 2);
  for (let y = 0; y < code.getHeight(); y++)
    for (let x = 0; x < code.getWidth(); x++) if (code.get(x, y)) luma[(top + y) * width + left + x] = 0;
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128); // no colour
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}

/** Headless Chromium (as test/helpers/browser.ts launches it) whose webcam plays `videoFile`. */
export async function launchBrowserWithCamera(videoFile: string): Promise<Browser> {
  return launchBrowser([
    // The camera: allowed without a prompt, a fake device, fed from the file.
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${videoFile}`,
  ]);
}
