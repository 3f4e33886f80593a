#!/usr/bin/env node
// The published entry point: the compiled CLI in dist/, run by plain Node. In a git clone,
// `npm install` builds dist/ (the `prepare` script); `npm start` rebuilds it when src/ changed.
try {
  await import('../dist/cli/main.js');
} catch (error) {
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js');
  if (!missing) throw error;
  process.stderr.write('anychat: dist/ is not built: run `npm install` (or `npm run build`) in the anychat folder.\n');
  process.exitCode = 1;
}
