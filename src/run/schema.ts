/**
 * A small JSON Schema validator for the subset of draft 2020-12 the task schema
 * (tasks/task.schema.json) uses: type, enum, const, minimum, maximum, exclusiveMinimum, minLength,
 * pattern, items, minItems, properties, required, additionalProperties, anyOf, $ref to #/$defs/…
 * Annotations (title, description, default, examples, $comment, $schema, $id) are ignored.
 * `x-expected` on a node names what the node expects in the error sentence ("a positive integer").
 *
 * It returns the FIRST problem as one sentence naming the field by its path
 * (`grid.indexes[2].search.nprobe must be a positive integer, got 0.`), as users expect from a
 * config checker, rather than a list of every schema violation.
 */
import { didYouMean } from '../core/names.js';

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  items?: JsonSchema;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  'x-expected'?: string;
  [annotation: string]: unknown;
};

export interface SchemaProblem {
  /** Path segments from the root: property names and array indexes. */
  path: (string | number)[];
  message: string;
}

/** `grid.indexes[2].search.nprobe`; the root is "the task". */
export function formatPath(path: (string | number)[], root = 'the task'): string {
  if (path.length === 0) return root;
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

/** A value shown in a message: JSON, cut at 40 characters. */
export function show(v: unknown): string {
  // JSON.stringify shows ±Infinity (a 1e999 in the file) as null
  const s = v === undefined ? 'nothing' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : json(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** JSON.stringify, except that a value nested too deeply for it (thousands of levels) is a placeholder, not a RangeError. */
function json(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return Array.isArray(v) ? '[[[…]]] (nested too deeply to show)' : '{…} (nested too deeply to show)';
  }
}

const KNOWN_KEYWORDS = new Set([
  'type', 'enum', 'const', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'pattern', 'items', 'minItems', 'properties',
  'required', 'additionalProperties', 'anyOf', '$ref', '$defs', 'x-expected', 'title', 'description', 'default', 'examples',
  '$comment', '$schema', '$id',
]);

export class SchemaValidator {
  constructor(private readonly root: JsonSchema) {
    this.checkKeywords(root, '#');
  }

  /** Refuses a schema that uses a keyword this validator does not implement (it would be silently ignored). */
  private checkKeywords(s: JsonSchema, at: string): void {
    for (const k of Object.keys(s)) if (!KNOWN_KEYWORDS.has(k) && !k.startsWith('x-')) throw new Error(`schema ${at}: keyword '${k}' is not supported by src/run/schema.ts`);
    for (const [k, sub] of Object.entries(s.properties ?? {})) this.checkKeywords(sub, `${at}/properties/${k}`);
    for (const [k, sub] of Object.entries(s.$defs ?? {})) this.checkKeywords(sub, `${at}/$defs/${k}`);
    if (s.items) this.checkKeywords(s.items, `${at}/items`);
    if (typeof s.additionalProperties === 'object') this.checkKeywords(s.additionalProperties, `${at}/additionalProperties`);
    s.anyOf?.forEach((sub, i) => this.checkKeywords(sub, `${at}/anyOf/${i}`));
  }

  private deref(s: JsonSchema): JsonSchema {
    let cur = s;
    for (let guard = 0; cur.$ref !== undefined; guard++) {
      if (guard > 32) throw new Error(`schema: $ref loop at ${s.$ref}`);
      const m = /^#\/\$defs\/(.+)$/.exec(cur.$ref);
      const target = m ? this.root.$defs?.[m[1]] : undefined;
      if (!target) throw new Error(`schema: unresolvable $ref ${cur.$ref}`);
      cur = target;
    }
    return cur;
  }

  /** What a schema node expects, as a noun phrase ("a positive integer", "one of 'a', 'b'"). */
  expected(schema: JsonSchema): string {
    const s = this.deref(schema);
    if (s['x-expected']) return s['x-expected'];
    if (s.anyOf) return s.anyOf.map((b) => this.expected(b)).join(' or ');
    if (s.const !== undefined) return show(s.const);
    if (s.enum) return `one of ${s.enum.map((v) => show(v).replace(/^"(.*)"$/, "'$1'")).join(', ')}`;
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    if (types.length > 1) return types.map((t) => this.expected({ ...s, type: t })).join(' or ');
    switch (types[0]) {
      case 'integer':
      case 'number': {
        const noun = types[0] === 'integer' ? 'integer' : 'number';
        if (s.minimum === 1 && types[0] === 'integer' && s.maximum === undefined) return 'a positive integer';
        if (s.exclusiveMinimum === 0 && s.maximum === undefined) return `a positive ${noun}`;
        if (s.minimum === 0 && s.maximum === undefined) return `a non-negative ${noun}`;
        if (s.minimum !== undefined && s.maximum !== undefined) return `${noun === 'integer' ? 'an' : 'a'} ${noun} from ${s.minimum} to ${s.maximum}`;
        if (s.minimum !== undefined) return `${noun === 'integer' ? 'an' : 'a'} ${noun} ≥ ${s.minimum}`;
        if (s.exclusiveMinimum !== undefined) return `${noun === 'integer' ? 'an' : 'a'} ${noun} > ${s.exclusiveMinimum}`;
        return noun === 'integer' ? 'an integer' : 'a number';
      }
      case 'string':
        return s.minLength ? 'a non-empty string' : 'a string';
      case 'boolean':
        return 'true or false';
      case 'null':
        return 'null';
      case 'array': {
        const of = s.items ? `, each item ${this.expected(s.items)}` : '';
        return `${s.minItems ? 'a non-empty list' : 'a list'}${of}`;
      }
      case 'object':
        return 'an object';
      default:
        return 'a valid value';
    }
  }

  /** The first problem of `value` against the root schema, or null. */
  validate(value: unknown): SchemaProblem | null {
    return this.check(value, this.root, []);
  }

  /**
   * The first problem of `value` (found at `path`) against another schema node, which may $ref the
   * root's $defs: how a cell kind's own schema checks its section of the task's grid.
   */
  validateAt(value: unknown, schema: JsonSchema, path: (string | number)[]): SchemaProblem | null {
    this.checkKeywords(schema, formatPath(path, '#'));
    return this.check(value, schema, path);
  }

  private fail(path: (string | number)[], schema: JsonSchema, value: unknown): SchemaProblem {
    return { path, message: `${formatPath(path)} must be ${this.expected(schema)}, got ${show(value)}.` };
  }

  private check(value: unknown, schema: JsonSchema, path: (string | number)[]): SchemaProblem | null {
    const s = this.deref(schema);
    if (s.anyOf) {
      const problems: SchemaProblem[] = [];
      for (const branch of s.anyOf) {
        const p = this.check(value, branch, path);
        if (!p) return null;
        problems.push(p);
      }
      // a branch that got inside the value (its problem is deeper) says more than "must be A or B"
      const deepest = problems.reduce((a, b) => (b.path.length > a.path.length ? b : a));
      return deepest.path.length > path.length ? deepest : this.fail(path, s, value);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      if (!types.some((t) => typeMatches(value, t))) return this.fail(path, s, value);
    }
    if (s.const !== undefined && json(value) !== JSON.stringify(s.const)) return this.fail(path, s, value);
    if (s.enum && !s.enum.some((e) => JSON.stringify(e) === json(value))) {
      const hint = typeof value === 'string' ? didYouMean(value, s.enum.filter((e): e is string => typeof e === 'string')) : '';
      const p = this.fail(path, s, value);
      return hint ? { path, message: p.message.replace(/\.$/, hint) } : p;
    }
    if (typeof value === 'number') {
      if ((s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum) ||
        (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum)) return this.fail(path, s, value);
    }
    if (typeof value === 'string') {
      if ((s.minLength !== undefined && value.length < s.minLength) || (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value))) {
        return this.fail(path, s, value);
      }
    }
    if (Array.isArray(value)) {
      if (s.minItems !== undefined && value.length < s.minItems) {
        return { path, message: `${formatPath(path)} must list at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}.` };
      }
      if (s.items) {
        for (let i = 0; i < value.length; i++) {
          const p = this.check(value[i], s.items, [...path, i]);
          if (p) return p;
        }
      }
    }
    if (isObject(value)) {
      for (const name of s.required ?? []) {
        if (!Object.hasOwn(value, name)) return { path, message: `${formatPath(path)} is missing the required field '${name}'.` };
      }
      const props = s.properties ?? {};
      for (const [k, v] of Object.entries(value)) {
        if (Object.hasOwn(props, k)) {
          const p = this.check(v, props[k], [...path, k]);
          if (p) return p;
        } else if (s.additionalProperties === false) {
          if (k === '$schema') continue; // editors' pointer to the schema file
          return { path: [...path, k], message: `${formatPath([...path, k])} is not a known field${didYouMean(k, Object.keys(props))}; known: ${Object.keys(props).join(', ')}.` };
        } else if (typeof s.additionalProperties === 'object') {
          const p = this.check(v, s.additionalProperties, [...path, k]);
          if (p) return p;
        }
      }
    }
    return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeMatches(v: unknown, t: string): boolean {
  switch (t) {
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: throw new Error(`schema: unknown type '${t}'`);
  }
}
