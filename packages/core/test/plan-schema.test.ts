import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PLAN_SCHEMA_PATH, isTensorslimError, parsePlan, planSchemaFile } from '@tensorslim/core';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const committed = readFileSync(join(root, PLAN_SCHEMA_PATH), 'utf8');
/** The committed JSON Schema as a validator (zod reads JSON Schema too: an independent path from planSchema). */
const fromFile = z.fromJSONSchema(JSON.parse(committed));

const referencePlans = readdirSync(join(root, 'docs', 'plans')).filter((f) => f.endsWith('.json'));

/** The JSON example of a plan in docs/concepts.md. */
function conceptsExample(): unknown {
  const md = readFileSync(join(root, 'docs', 'concepts.md'), 'utf8');
  const m = /A plan is JSON keyed by layer name:\n\n```json\n([\s\S]*?)```/.exec(md);
  expect(m, 'docs/concepts.md shows a plan').not.toBeNull();
  return JSON.parse(m![1]!);
}

/** The code of the error `parsePlan` throws, or null when it accepts. */
function parseCode(plan: unknown): string | null {
  try {
    parsePlan(plan);
    return null;
  } catch (e) {
    return isTensorslimError(e) ? e.code : String(e);
  }
}

describe('the published JSON Schema of plan files', () => {
  it(`${PLAN_SCHEMA_PATH} is what scripts/gen-plan-schema.mjs generates from the plan's zod schema`, () => {
    expect(committed, `${PLAN_SCHEMA_PATH} is out of date: run \`npm run build && node scripts/gen-plan-schema.mjs\``).toBe(planSchemaFile());
    const s = JSON.parse(committed) as Record<string, unknown>;
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.required).toEqual(['layers']);
    // our own option metadata (error codes, allowed-value texts) stays out of the published file
    expect(committed).not.toMatch(/"(code|allowed|note|arg|list|defaultText)":/);
  });

  it('the reference plans in docs/plans and the example of docs/concepts.md validate against it (and parse)', () => {
    expect(referencePlans.length).toBeGreaterThanOrEqual(3);
    for (const f of referencePlans) {
      const plan: unknown = JSON.parse(readFileSync(join(root, 'docs', 'plans', f), 'utf8'));
      expect(fromFile.safeParse(plan).success, f).toBe(true);
      expect(Object.keys(parsePlan(plan, f).layers).length, f).toBeGreaterThan(8);
    }
    const example = conceptsExample();
    expect(fromFile.safeParse(example).success).toBe(true);
    expect(parsePlan(example).layers['fc1']!.ranks).toEqual({ ranks: ['min(32, cout / 2)', 'min(32, cin / 4)'] });
  });

  it('rejects what parsePlan rejects, and accepts what it accepts', () => {
    const layer = { format: 'tt', ranks: { maxRank: 8 } };
    const cases: [unknown, string | null][] = [
      [{ version: 1, layers: { conv2: layer } }, null],
      [{ layers: { conv2: { ...layer, outModes: [4, 8], options: { alsSweeps: 2 } } } }, null],
      [{ layers: { conv2: { format: 'tt', ranks: [1, 'cin / 4', 1] } } }, null],
      [{ layers: { conv2: { format: 'tucker', ranks: { auto: true } } } }, null],
      [{ version: 2, layers: {} }, 'TS_PLAN'],
      [{ layers: [] }, 'TS_PLAN'],
      [{ layers: { conv2: { ranks: { maxRank: 8 } } } }, 'TS_PLAN'],
      [{ layers: { conv2: { format: '', ranks: { maxRank: 8 } } } }, 'TS_PLAN'],
      [{ layers: { conv2: { ...layer, outModes: [4, 0] } } }, 'TS_PLAN'],
      [{ layers: { conv2: { ...layer, options: 3 } } }, 'TS_PLAN'],
      [{ layers: { conv2: { format: 'tt' } } }, 'TS_RANK'],
      [{ layers: { conv2: { format: 'tt', ranks: 8 } } }, 'TS_RANK'],
      [{ layers: { conv2: { format: 'tt', ranks: { maxRank: 8, ratio: 3 } } } }, 'TS_RANK'],
      [{ layers: { conv2: { format: 'tt', ranks: {} } } }, 'TS_RANK'],
      [{ layers: { conv2: { format: 'tt', ranks: { auto: false } } } }, 'TS_RANK'],
    ];
    for (const [plan, code] of cases) {
      expect(parseCode(plan), JSON.stringify(plan)).toBe(code);
      expect(fromFile.safeParse(plan).success, JSON.stringify(plan)).toBe(code === null);
    }
  });

  it("parsePlan's errors name the layer, the value and what is allowed", () => {
    expect(() => parsePlan({ layers: { fc1: { format: 'tt', outModes: [4, 0], ranks: [1, 4, 1] } } }, 'p.json')).toThrow(
      'p.json: layer "fc1": outModes [4,0] is invalid — it must be a list of positive integers',
    );
    expect(() => parsePlan({ layers: { fc1: { ranks: [1, 4, 1] } } })).toThrow('plan: layer "fc1": format is missing — it must be a plugin id such as "tt"');
    expect(() => parsePlan({ layers: { fc1: { format: 'tt', ranks: { maxRank: 8, ratio: 3 } } } })).toThrow(
      /^plan: layer "fc1": ranks \{"maxRank":8,"ratio":3\} is invalid — it must be a list of ranks, or an object with exactly one of ranks, maxRank, ratio, eps and auto/,
    );
    expect(() => parsePlan('{"layers": ')).toThrow(/^plan is not valid JSON/);
  });
});
