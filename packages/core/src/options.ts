/**
 * Option schemas: every settings object of the API (and every command-line flag built on it) is a
 * zod schema, the one place that states an option's type, range, default and help text.
 * {@link parseOptions} validates input against one and turns the first problem into a
 * {@link TensorslimError} that names the option, the value given and what is allowed;
 * {@link describeAllowed} says the allowed values in words, from the schema's JSON Schema.
 *
 * Help texts, value placeholders and the like travel as zod metadata ({@link OptionMeta}, set with
 * {@link opt}); a description may name another option as `{key}`, which each surface renders
 * its own way (`key` in the API's docs, `--flag` in the command line's help).
 *
 * @module
 */
import { z } from 'zod';
import { ErrorCodes, fail, type ErrorCode } from '@tensorslim/linalg';

/** What an option schema says about itself beyond its type (zod metadata, see {@link opt}). */
export interface OptionMeta {
  /** What the option does, without its default; `{key}` names another option. */
  readonly description?: string;
  /** Words after the default in help texts (where the default comes from: "the paper's"). */
  readonly note?: string;
  /** The default in words, when it is not a constant ("the model's own"). */
  readonly defaultText?: string;
  /** What is allowed, in words, where the schema's own description would be unclear. */
  readonly allowed?: string;
  /** Error code of a bad value (default `TS_OPTION`). */
  readonly code?: ErrorCode;
  /** Placeholder of the flag's value in help texts (`N`, `LR`, `name|model.json`). */
  readonly arg?: string;
  /** A list option written as one comma-separated value on the command line (else: a repeatable flag). */
  readonly list?: 'comma';
}

/** Keys of {@link OptionMeta} that are ours, not JSON Schema's (removed from published schemas). */
const OWN_META: readonly (keyof OptionMeta)[] = ['note', 'defaultText', 'allowed', 'code', 'arg', 'list'];

/** Attaches option metadata to a schema (merged with what it has). */
export function opt<S extends z.ZodType>(schema: S, meta: OptionMeta): S {
  return schema.meta({ ...(schema.meta() ?? {}), ...meta }) as S;
}

/** The option metadata of a schema (empty when it has none). */
export function optionMeta(schema: z.ZodType): OptionMeta {
  return (schema.meta() ?? {}) as OptionMeta;
}

/** A JSON Schema node, as zod's `toJSONSchema` writes them (with our metadata keys). */
export type JsonSchema = { readonly [key: string]: unknown } & OptionMeta;

const jsonCache = new WeakMap<z.ZodType, JsonSchema>();

/** The JSON Schema of a schema's input (what a caller may pass), with the option metadata. */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  let js = jsonCache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonCache.set(schema, js);
  }
  return js;
}

/** A JSON Schema without our metadata keys (what a published schema file holds). */
export function publishedJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const own = OWN_META as readonly string[];
  // a `properties` map holds property names, not keywords: its keys stay
  const strip = (v: unknown, names = false): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x));
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => names || !own.includes(k))
        .map(([k, x]) => [k, strip(x, !names && k === 'properties')]),
    );
  };
  return strip(inputJsonSchema(schema)) as Record<string, unknown>;
}

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** A value as written in messages and help texts. */
export function showValue(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** "a, b or c". */
export function wordList(items: readonly string[], last = 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

function numberWords(js: JsonSchema): string {
  const int = js.type === 'integer';
  const lo = js.minimum as number | undefined;
  const loEx = js.exclusiveMinimum as number | undefined;
  const hi = (js.maximum as number | undefined) === SAFE_MAX ? undefined : (js.maximum as number | undefined);
  const hiEx = js.exclusiveMaximum as number | undefined;
  if (int && lo === 1 && hi === undefined && hiEx === undefined) return 'a positive integer';
  if (!int && loEx === 0 && hi === undefined && hiEx === undefined) return 'a positive number';
  const kind = int ? 'an integer' : 'a number';
  const low = lo ?? loEx;
  const high = hi ?? hiEx;
  if (low !== undefined && high !== undefined) return `${kind} in ${lo !== undefined ? '[' : '('}${low}, ${high}${hi !== undefined ? ']' : ')'}`;
  if (low !== undefined) return `${kind} ${lo !== undefined ? '≥' : '>'} ${low}`;
  if (high !== undefined) return `${kind} ${hi !== undefined ? '≤' : '<'} ${high}`;
  return kind;
}

/** What a JSON Schema node allows, in words ("an integer ≥ 0", "'epoch' or a positive integer"). */
export function describeAllowed(js: JsonSchema): string {
  if (typeof js.allowed === 'string') return js.allowed;
  const branches = (js.anyOf ?? js.oneOf) as JsonSchema[] | undefined;
  if (branches) return wordList(branches.map(describeAllowed));
  if ('const' in js) return showValue(js.const);
  if (Array.isArray(js.enum)) return wordList(js.enum.map(showValue));
  const type = js.type;
  if (Array.isArray(type)) return wordList(type.map((t) => describeAllowed({ type: t })));
  switch (type) {
    case 'integer':
    case 'number':
      return numberWords(js);
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'string':
      return typeof js.minLength === 'number' && js.minLength > 0 ? 'a non-empty string' : 'a string';
    case 'array': {
      const items = js.items as JsonSchema | undefined;
      const min = `${typeof js.minItems === 'number' && js.minItems > 0 ? 'a non-empty' : 'a'}${js.list === 'comma' ? ' comma-separated' : ''} list`;
      return items ? `${min} of ${plural(describeAllowed(items))}` : min;
    }
    case 'object': {
      const props = js.properties as Record<string, JsonSchema> | undefined;
      return props ? `an object with ${wordList(Object.keys(props), 'and')}` : 'an object';
    }
    default:
      return 'any value';
  }
}

/** "a positive integer" → "positive integers" (for list descriptions). */
function plural(words: string): string {
  return words
    .split(' or ')
    .map((w) => w.replace(/^an? /, '').replace(/\b(integer|number|string|object|list)\b/, '$1s'))
    .join(' or ');
}

/** The JSON Schema node at `path` under `root`, and the innermost error code declared on the way. */
function nodeAt(root: JsonSchema, path: readonly PropertyKey[]): { node: JsonSchema | null; code: ErrorCode | undefined } {
  let node: JsonSchema | null = root;
  let code = root.code;
  for (const seg of path) {
    node = node ? childOf(node, String(seg)) : null;
    if (node?.code) code = node.code;
  }
  return { node, code };
}

function childOf(node: JsonSchema, key: string): JsonSchema | null {
  const props = node.properties as Record<string, JsonSchema> | undefined;
  if (props && Object.hasOwn(props, key)) return props[key]!;
  if (node.items && typeof node.items === 'object' && /^\d+$/.test(key)) return node.items as JsonSchema;
  if (node.additionalProperties && typeof node.additionalProperties === 'object') return node.additionalProperties as JsonSchema;
  for (const b of ((node.anyOf ?? node.oneOf) as JsonSchema[] | undefined) ?? []) {
    const c = childOf(b, key);
    if (c) return c;
  }
  return null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** How {@link parseOptions} names things in its messages. */
export interface ParseOptionsHow {
  /** Names the option at a path (default: "option a.b"). */
  readonly name?: (path: readonly PropertyKey[]) => string;
  /** Writes the value given at a path (default: JSON). */
  readonly show?: (path: readonly PropertyKey[], value: unknown) => string;
  /** Error code where the schema declares none (default `TS_OPTION`). */
  readonly code?: ErrorCode;
  /** Prefix of every message (a file name, "plan"). */
  readonly source?: string;
  /** Report a problem at this depth of its path (1: at the top-level option, as a command line does). */
  readonly depth?: number;
}

/**
 * Validates `input` against `schema` and returns the parsed value (defaults filled in). The first
 * problem becomes a {@link TensorslimError} (code `TS_OPTION` unless the schema or `how` says
 * otherwise) naming the option, the value given and what is allowed; every problem is in its
 * `details.issues`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, how: ParseOptionsHow = {}): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const issue = issues[0]!;
  // a problem inside an option is reported at the option when asked (a command line's flag)
  const deep = how.depth !== undefined && issue.path.length > how.depth && issue.code !== 'custom';
  const path = deep ? issue.path.slice(0, how.depth) : issue.path;
  const root = inputJsonSchema(schema);
  const name = how.name ?? ((p: readonly PropertyKey[]) => `option ${p.map(String).join('.') || '(the options object)'}`);
  const show = how.show ?? ((_p: readonly PropertyKey[], v: unknown) => showValue(v));
  const prefix = how.source ? `${how.source}: ` : '';
  const details = { issues: issues.map((i) => ({ path: i.path.map(String), message: i.message })) };
  const { node, code } = nodeAt(root, path);
  const errorCode = code ?? how.code ?? ErrorCodes.OPTION;
  if (issue.code === 'unrecognized_keys' && !deep && !node?.allowed) {
    const known = Object.keys((node?.properties as Record<string, unknown> | undefined) ?? {});
    const within = path.length ? ` in ${name(path)}` : '';
    const list = (keys: readonly string[]) => (how.name ? keys.map((k) => name([...path, k])) : keys.map((k) => `"${k}"`)).join(', ');
    const what = how.name ? `unknown ${list(issue.keys)}` : `unknown option${issue.keys.length > 1 ? 's' : ''} ${list(issue.keys)}${within}`;
    const hint = known.length ? `known${how.name ? '' : ' options'}: ${how.name ? list(known) : known.join(', ')}` : undefined;
    return fail(errorCode, `${prefix}${what}`, hint, details);
  }
  const value = valueAt(input, path);
  const allowed = issue.code === 'custom' || !node ? issue.message : describeAllowed(node);
  const what = value === undefined ? `${name(path)} is missing` : `${name(path)} ${show(path, value)} is invalid`;
  return fail(errorCode, `${prefix}${what}`, `it must be ${allowed}`, { ...details, option: path.map(String).join('.'), value });
}

/** Renders the `{key}` references of a description with `ref(key)`. */
export function renderDescription(text: string, ref: (key: string) => string): string {
  return text.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_m, key: string) => ref(key));
}

/** One option's line of documentation: key, default as written, help. */
export interface OptionDoc {
  /** Key in the settings object. */
  readonly key: string;
  /** Default, as printed ("off" for null, "none" when there is none). */
  readonly default: string;
  /** What it does (and where the default comes from). */
  readonly help: string;
}

/** A default value as printed in docs and help texts. */
export function showDefault(v: unknown): string {
  if (v === null) return 'off';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Documentation lines of every option of an object schema (its API docs and help texts). */
export function optionDocs(schema: z.ZodObject): OptionDoc[] {
  const js = inputJsonSchema(schema);
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).map(([key, p]) => {
    const note = p.note ? ` (${p.note})` : '';
    return {
      key,
      default: p.defaultText ?? ('default' in p ? showDefault(p.default) : 'none'),
      help: renderDescription(p.description ?? '', (k) => k) + note,
    };
  });
}
