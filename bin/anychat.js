#!/usr/bin/env node
// The published entry point. TypeScript runs through tsx's loader so that a fresh
// clone works with `npm install` alone, without a separate build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
