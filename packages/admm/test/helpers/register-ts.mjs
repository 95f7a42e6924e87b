// `node --import ./register-ts.mjs job.ts`: installs ts-hooks.mjs (test-only).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
