// Content hashes shared by every store that keeps a payload once per content (raw orders, files).
import crypto from 'node:crypto';

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
