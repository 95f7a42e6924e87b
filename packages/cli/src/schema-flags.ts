/**
 * Command-line flags from option schemas: a command's settings are one zod object schema, and
 * this adapter derives its commander options from it — the flag (the key in kebab case), the
 * value placeholder, booleans as bare flags (`--no-<flag>` when the default is on), comma-separated
 * and repeatable lists, required
 * flags — with a `--help` line made of the option's description, its allowed values (enums) and
 * its default. {@link parseFlags} turns what was given (strings from the command line, or typed
 * values from a program) into the command's typed settings, validated by the same schema: a bad
 * value is a `TS_OPTION` error naming the flag, the value and what is allowed.
 *
 * Where a command deliberately has another default than the API (laptop-size epochs), it says
 * so once, with {@link withDefaults}.
 *
 * @module
 */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import {
  inputJsonSchema,
  optionMeta,
  parseOptions,
  renderDescription,
  showDefault,
  showValue,
  wordList,
  type JsonSchema,
  type OptionMeta,
} from '@tensorslim/core';

/** The flag of a settings key: `admmEpochs` → `admm-epochs`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** What a command accepts for its settings: each value typed, or as the string a command line gives. */
export type FlagsInput<S extends z.ZodObject> = { [K in keyof z.input<S>]: z.input<S>[K] | string };

/** One flag, as derived from a field of the schema. */
export interface FlagSpec {
  /** Key in the settings (commander's attribute name: the camel case of the flag). */
  readonly key: string;
  /** `--` + kebab(key), or `--no-` + kebab(key) for a boolean whose default is true. */
  readonly flag: string;
  /** The field's JSON Schema (input side), with its option metadata. */
  readonly json: JsonSchema;
  /** Whether the flag must be given (no default, not optional). */
  readonly required: boolean;
  /** A bare flag (a boolean). */
  readonly bare: boolean;
  /** A list: one comma-separated value, or a repeatable flag. */
  readonly list: 'comma' | 'repeat' | null;
}

/** The flags of a command's schema, in its key order. */
export function flagSpecs(schema: z.ZodObject): FlagSpec[] {
  const js = inputJsonSchema(schema);
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries((js.properties ?? {}) as Record<string, JsonSchema>).map(([key, json]) => ({
    key,
    flag: json.type === 'boolean' && json.default === true ? `--no-${kebab(key)}` : `--${kebab(key)}`,
    json,
    required: required.has(key),
    bare: json.type === 'boolean',
    list: json.type === 'array' ? (json.list === 'comma' ? 'comma' : 'repeat') : null,
  }));
}

/** The values of an enum field (or of a list of them), else null. */
function enumValues(js: JsonSchema): string[] | null {
  const e = js.enum ?? (js.items as JsonSchema | undefined)?.enum;
  return Array.isArray(e) ? e.map(String) : null;
}

/** The value placeholder of a flag: the field's `arg`, or one made from its type. */
function placeholder(s: FlagSpec): string {
  if (s.json.arg) return s.json.arg;
  const values = enumValues(s.json);
  if (values) return s.list === 'comma' ? 'list' : values.join('|');
  const type = s.list ? (s.json.items as JsonSchema | undefined)?.type : s.json.type;
  const one = type === 'integer' ? 'N' : type === 'number' ? 'X' : 'value';
  return s.list === 'comma' ? `${one},...` : one;
}

/** The `--help` line of a flag: description (`{key}` rendered as its flag), allowed values of an enum, default and note. */
export function flagHelp(s: FlagSpec): string {
  const meta: OptionMeta = s.json;
  const values = enumValues(s.json);
  const description = renderDescription(meta.description ?? '', (k) => `--${kebab(k)}`) + (values ? `: ${wordList(values)}` : '');
  const hasDefault = 'default' in s.json && !s.bare && !(Array.isArray(s.json.default) && s.json.default.length === 0);
  const dflt = meta.defaultText !== undefined ? `default: ${meta.defaultText}` : hasDefault ? `default ${showDefault(s.json.default)}` : null;
  const negated = s.bare && s.flag.startsWith('--no-') ? 'on by default; this flag turns it off' : null;
  const tail = [dflt, negated, meta.note].filter(Boolean).join('; ');
  return tail ? `${description} (${tail})` : description;
}

/**
 * Adds the flags of `schema` to `cmd`, in the schema's order. Commander parses nothing but the
 * flags' presence and their strings (and collects repeatable ones); values are converted and
 * checked by {@link parseFlags}, so a bad one is a tensorslim error, not a commander one.
 */
export function addFlags(cmd: Command, schema: z.ZodObject): Command {
  for (const s of flagSpecs(schema)) {
    const o = new Option(s.bare ? s.flag : `${s.flag} <${placeholder(s)}>`, flagHelp(s));
    if (s.list === 'repeat') o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    if (s.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}

const toNumber = (s: string) => (s.trim() === '' ? NaN : Number(s));

/** Converts what was given for a field (a command-line string, or a typed value) to the field's type. */
function coerce(js: JsonSchema, v: unknown, list: FlagSpec['list'] = null): unknown {
  if (list) {
    const items = (js.items ?? {}) as JsonSchema;
    const parts =
      typeof v === 'string' && list === 'comma'
        ? v
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== '')
        : v;
    return Array.isArray(parts) ? parts.map((p) => coerce(items, p)) : parts;
  }
  if (typeof v !== 'string') return v;
  const branches = (js.anyOf ?? js.oneOf) as JsonSchema[] | undefined;
  if (branches) {
    if (branches.some((b) => b.const === v || (Array.isArray(b.enum) && b.enum.includes(v)) || (b.type === 'string' && !('const' in b)))) return v;
    const numeric = branches.find((b) => b.type === 'number' || b.type === 'integer');
    return numeric ? toNumber(v) : v;
  }
  if (js.type === 'integer' || js.type === 'number') return toNumber(v);
  if (js.type === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
  return v;
}

/**
 * The typed, validated settings of a command from the flags given: command-line strings are
 * converted to each field's type, defaults filled in, and everything checked by `schema` (a bad
 * value: `TS_OPTION`, or the code the field declares, naming the flag and the value as given).
 */
export function parseFlags<S extends z.ZodObject>(schema: S, given: Readonly<Record<string, unknown>>): z.output<S> {
  const specs = new Map(flagSpecs(schema).map((s) => [s.key, s]));
  const values: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const s = specs.get(key);
    values[key] = s ? coerce(s.json, v, s.list) : v; // an unknown key is reported by the schema
  }
  return parseOptions(schema, values, {
    depth: 1,
    name: (p) => `--${kebab(String(p[0]))}`,
    show: (p, v) => {
      const raw = given[String(p[0])];
      return typeof raw === 'string' ? raw : Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw.join(' ') : showValue(v);
    },
  });
}

/** A command line's own default for one option (and a note on the API's, e.g. "paper: 200 on CIFAR"). */
export interface DefaultOverlay {
  /** The default the command line uses. */
  readonly default: unknown;
  /** Words after it in `--help` (replacing the API's note and default text, which were about the API's default). */
  readonly note?: string;
}

/**
 * `schema` with other defaults for some of its options: where a command deliberately differs
 * from the API (a laptop-size run instead of the paper's 200 epochs), stated once, here.
 */
export function withDefaults<S extends z.ZodObject>(schema: S, overlay: { readonly [K in keyof S['shape']]?: DefaultOverlay }): S {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, o] of Object.entries(overlay) as [string, DefaultOverlay][]) {
    const field = schema.shape[key] as z.ZodType;
    const inner = field instanceof z.ZodDefault ? (field.removeDefault() as z.ZodType) : field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
    const { note: _note, defaultText: _defaultText, ...meta } = optionMeta(field); // they were about the API's default
    shape[key] = inner.default(o.default as never).meta({ ...meta, ...(o.note ? { note: o.note } : {}) });
  }
  return schema.extend(shape) as unknown as S;
}

/** The field without its default, optional: when not given, the command decides (`defaultText` says how). */
export function optionalOf<T extends z.ZodType>(field: T, meta: OptionMeta): z.ZodOptional<z.ZodType<z.output<T>, z.input<T>>> {
  const inner = field instanceof z.ZodDefault ? (field.removeDefault() as z.ZodType) : field;
  const { note: _apiNote, ...kept } = optionMeta(field);
  return inner.optional().meta({ ...kept, ...meta }) as never;
}
