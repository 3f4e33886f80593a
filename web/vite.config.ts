import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the chat page into web/dist, which `anychat serve` serves as static files.
 * `npm run dev:web` proxies the API to a running `anychat serve` so the page can be
 * developed with hot reload.
 */
export default defineConfig({
  root: webRoot,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Our own budget (150 KB gzipped first load) is checked by bench/ui.ts; the lazy KaTeX and
    // highlight.js chunks are allowed to be larger than Vite's default warning size.
    chunkSizeWarningLimit: 400,
    // The server's CSP forbids inline scripts, and data: URLs for fonts are not worth the risk.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // Two pages: the chat, and the read-only page of a shared link (served at /share/TOKEN, so it
    // is built into share/ and reaches the shared assets as ../assets/).
    rollupOptions: {
      input: { main: fileURLToPath(new URL('index.html', import.meta.url)), share: fileURLToPath(new URL('share/index.html', import.meta.url)) },
    },
  },
  server: {
    proxy: { '/api': process.env.ANYCHAT_URL ?? 'http://127.0.0.1:7860' },
  },
});
