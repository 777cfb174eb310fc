import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000, minify: process.env.PARLEY_WEB_MINIFY !== '0' },
  oxc: { jsx: { runtime: 'automatic' } },
});
