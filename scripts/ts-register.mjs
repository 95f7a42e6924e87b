// `node --import scripts/ts-register.mjs job.ts`: installs ts-hooks.mjs (test-only).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
