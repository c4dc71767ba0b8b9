// Vite build of the console: web/ → web/dist, served by the API at `/` (no CDN assets).
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = path.dirname(new URL(import.meta.url).pathname);

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'info',
  build: { outDir: path.join(root, 'dist'), emptyOutDir: true, sourcemap: false },
});
