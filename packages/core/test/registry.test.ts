import { describe, expect, it } from 'vitest';
import {
  createRegistry,
  isTensorslimError,
  listPlugins,
  registerPlugin,
  registerProjector,
  registerRegularizer,
  resolvePlugin,
  resolveProjector,
  resolveRegularizer,
  type FormatPlugin,
  type Projector,
} from '../src/index.js';

/** A plugin that does nothing, under `id`. */
function fake(id: string): FormatPlugin {
  const projector: Projector = { id, project: (w) => w };
  return {
    id,
    name: id,
    description: `the ${id} test format`,
    decomposition: {
      decompose: () => fail(),
      reconstruct: () => fail(),
      paramCount: () => 0,
      resolveRanks: () => [],
      rankConvention: 'none',
    },
    projector,
  };
}
const fail = (): never => {
  throw new Error('not used');
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isTensorslimError(e) ? e.code : String(e);
  }
  return 'no error';
};

describe('createRegistry', () => {
  it('is isolated from the default registry: what it lists is exactly what it resolves', () => {
    const global = fake('reg-global');
    registerPlugin(global); // the process-wide registry
    registerProjector({ id: 'reg-global-proj', project: (w) => w });
    const r = createRegistry();
    expect(listPlugins(r)).toEqual([]);
    expect(codeOf(() => resolvePlugin('reg-global', r))).toBe('TS_UNKNOWN_FORMAT');
    expect(codeOf(() => resolveProjector('reg-global', r))).toBe('TS_UNKNOWN_FORMAT');
    expect(codeOf(() => resolveProjector('reg-global-proj', r))).toBe('TS_UNKNOWN_FORMAT');

    const local = fake('reg-local');
    registerPlugin(local, r);
    expect(listPlugins(r).map((p) => p.id)).toEqual(['reg-local']);
    expect(resolvePlugin('reg-local', r)).toBe(local);
    expect(resolveProjector('reg-local', r)).toBe(local.projector);
    expect(codeOf(() => resolvePlugin('reg-global', r))).toBe('TS_UNKNOWN_FORMAT');
    // and the other way round: the default registry does not see the fresh one's plugins
    expect(listPlugins().map((p) => p.id)).toContain('reg-global');
    expect(listPlugins().map((p) => p.id)).not.toContain('reg-local');
    expect(codeOf(() => resolvePlugin('reg-local'))).toBe('TS_UNKNOWN_FORMAT');
  });

  it('two fresh registries do not share registrations; the same plugin again is a no-op, another under its id is refused', () => {
    const a = createRegistry();
    const b = createRegistry();
    const first = fake('reg-twice');
    registerPlugin(first, a);
    registerPlugin(first, a);
    expect(codeOf(() => registerPlugin(fake('reg-twice'), a))).toBe('TS_PLUGIN');
    expect(resolvePlugin('reg-twice', a)).toBe(first);
    expect(listPlugins(a)).toHaveLength(1);
    expect(listPlugins(b)).toEqual([]);
    const e = (() => {
      try {
        resolvePlugin('reg-twice', b);
      } catch (err) {
        return err as Error;
      }
      return null;
    })();
    expect(e?.message).toMatch(/no format plugin is registered/);
  });

  it('a projector registered alone resolves, is not listed as a plugin, and a later one of the same id replaces it', () => {
    const r = createRegistry();
    const p1: Projector = { id: 'mask', project: (w) => w };
    const p2: Projector = { id: 'mask', project: (w) => w };
    registerProjector(p1, r);
    expect(resolveProjector('mask', r)).toBe(p1);
    registerProjector(p2, r);
    expect(resolveProjector('mask', r)).toBe(p2);
    expect(listPlugins(r)).toEqual([]);
    expect(codeOf(() => registerProjector({ id: 'x' } as unknown as Projector, r))).toBe('TS_PLUGIN');
    expect(codeOf(() => registerPlugin({ id: 'Bad Id' } as unknown as FormatPlugin, r))).toBe('TS_PLUGIN');
  });
});

describe('regularizers in the registry', () => {
  it('are registered and resolved by id, per registry', () => {
    const a = createRegistry();
    const b = createRegistry();
    const l2 = {
      id: 'l2',
      coefficients: (w: { shape: readonly number[]; data: Float64Array }) => ({ shape: w.shape, data: new Float64Array(w.data.length).fill(1) }),
    };
    registerRegularizer(l2, a);
    expect(resolveRegularizer('l2', a)).toBe(l2);
    let code = 'none';
    try {
      resolveRegularizer('l2', b);
    } catch (e) {
      code = isTensorslimError(e) ? e.code : 'other';
    }
    expect(code).toBe('TS_UNKNOWN_NAME');
    expect(() => registerRegularizer({ id: 'bad' } as never, a)).toThrow(/coefficients/);
  });
});
