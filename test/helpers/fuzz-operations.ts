// fast-check arbitraries for GraphQL operations generated from the schema: a random root field,
// arguments of the right type or the wrong one (nulls, hostile strings, garbage and stale ids
// and cursors, oversized lists, deep JSON), a random selection set, a random caller and
// transport. Used by test/fuzz.test.ts.
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

export type Viewer = 'anonymous' | 'teenager' | 'parent' | 'operator';

/** Values the fuzz draws ids and cursors from: real, stale (deleted row), garbage. */
export interface Pools {
  ids: string[];
  cursors: string[];
}

interface ArgValue {
  name: string;
  type: GraphQLInputType;
  value: unknown;
  /** Written in the document rather than sent as a variable. */
  inline: boolean;
}

interface FieldPlan {
  name: string;
  args: ArgValue[];
  /** The sub-selection, already printed ('' for a leaf). */
  sub: SelectionPlan[];
  fragmentOn?: string;
}

type SelectionPlan = FieldPlan;

export interface OperationPlan {
  kind: 'query' | 'mutation';
  root: FieldPlan;
  viewer: Viewer;
  get: boolean;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Hostile and ordinary strings. */
export const STRINGS = [
  '',
  ' ',
  'hello',
  'Bonjour, ça va ?',
  'nul\u0000byte',
  '\u0000',
  'lone \ud800 high',
  '\udc00 lone low',
  '\u202Eevil RTL override\u202C',
  'مرحبا بالعالم',
  'e\u0301e\u0301',
  '🙂'.repeat(50),
  '\uFEFF\uFFFF\uFFFE',
  "' OR 1=1 --",
  '"; DROP TABLE app.user; --',
  '%_\\',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '{"a":1}',
  'x'.repeat(5000),
  'é'.repeat(300),
  'x'.repeat(1_000_000),
];

const JUNK: unknown[] = [null, 0, -1, 1.5, 1e308, true, 'x', '', [], [1, 'a'], {}, { a: 1 }, [[[]]]];

const GARBAGE_IDS = [
  'garbage',
  '',
  '\u0000',
  b64('Collective:00000000-0000-0000-0000-000000000000'),
  b64('Conversation:00000000-0000-0000-0000-000000000000'),
  b64('User:not-a-uuid'),
  b64('Nope:1'),
  b64('Conversation'),
  b64(':'),
  b64('\u0000:\u0000'),
  '00000000-0000-0000-0000-000000000000',
  '%%%',
  'x'.repeat(10_000),
];

const GARBAGE_CURSORS = ['', 'garbage', b64('GPC:S:not-a-uuid'), b64('GPC:N:1'), b64('GPC:J:{"a":1}'), b64('GPC:S:00000000-0000-0000-0000-000000000000'), '\u0000', 'x'.repeat(10_000)];

function deepJson(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const jsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom({ k: 'a\u0000' }, { ['k\u0000']: 1 }, { s: 'x\ud800' }, deepJson(30), deepJson(20), { big: 'x'.repeat(70_000) }, [], 'str', 0, null) },
);

const intArb = fc.oneof(fc.constantFrom(0, 1, -1, 5, 20, 100, 101, 2 ** 31 - 1, -(2 ** 31)), fc.integer({ min: -200, max: 200 }));

function scalarArb(name: string, argName: string, pools: Pools): fc.Arbitrary<unknown> {
  switch (name) {
    case 'String':
      if (argName === 'after' || argName === 'before') return fc.constantFrom(...pools.cursors, ...GARBAGE_CURSORS);
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...STRINGS) }, { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) });
    case 'ID':
      return fc.constantFrom(...pools.ids, ...GARBAGE_IDS);
    case 'Int':
      return intArb;
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 0.5, 1, -1));
    case 'Boolean':
      return fc.boolean();
    case 'JSON':
      return jsonArb;
    case 'DateTime':
      return fc.constantFrom(new Date(Date.now() + 86_400_000).toISOString(), '2020-01-01T00:00:00Z', 'not a date', '9999-99-99', '');
    case 'UUID':
      return fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', '');
    case 'CountryCode':
      return fc.constantFrom('FR', 'ES', 'fr', 'XX', '');
    case 'LanguageCode':
      return fc.constantFrom('fr', 'en', 'xx', 'FRA', '');
    default:
      return fc.constantFrom(...STRINGS.slice(0, 5));
  }
}

function inputArb(type: GraphQLInputType, argName: string, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const wrong = fc.constantFrom(...JUNK);
  if (isNonNullType(type)) {
    return fc.oneof({ weight: 12, arbitrary: inputArb(type.ofType, argName, pools, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  }
  let right: fc.Arbitrary<unknown>;
  const t = getNullableType(type) as GraphQLInputType;
  if (isListType(t)) {
    const item = inputArb(t.ofType as GraphQLInputType, argName, pools, depth + 1);
    right = fc.oneof(
      { weight: 8, arbitrary: fc.array(item, { maxLength: 3 }) },
      // Just over the bound, and far over it (small items: the bound, not the items, is the point).
      { weight: 1, arbitrary: fc.constant(Array.from({ length: 101 }, (_, i) => `item_${i}`)) },
      { weight: 1, arbitrary: fc.constant(Array.from({ length: 100_000 }, (_, i) => `item_${i}`)) },
    );
  } else if (isInputObjectType(t)) {
    if (depth > 3) return fc.constant(null);
    const fields = Object.values(t.getFields());
    const model = Object.fromEntries(fields.map((f) => [f.name, inputArb(f.type, f.name, pools, depth + 1)]));
    right = fc.record(model, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  } else if (isEnumType(t)) {
    right = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...t.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: fc.constant('NOT_A_VALUE') });
  } else {
    right = scalarArb(t.name, argName, pools);
  }
  return fc.oneof({ weight: 10, arbitrary: right }, { weight: 1, arbitrary: wrong }, { weight: 1, arbitrary: fc.constant(null) });
}

function argsArb(args: readonly GraphQLArgument[], pools: Pools): fc.Arbitrary<ArgValue[]> {
  if (!args.length) return fc.constant([]);
  return fc.tuple(
    ...args.map((a) =>
      fc.record({
        present: isNonNullType(a.type) ? fc.oneof({ weight: 15, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.boolean(),
        value: inputArb(a.type, a.name, pools, 0),
        inline: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      }),
    ),
  ).map((values) =>
    values.flatMap((v, i) => (v.present ? [{ name: args[i].name, type: args[i].type, value: v.value, inline: v.inline }] : [])),
  );
}

function selectionArb(schema: GraphQLSchema, type: GraphQLOutputType, pools: Pools, depth: number): fc.Arbitrary<SelectionPlan[]> {
  const named = getNamedType(type) as GraphQLNamedType;
  if (isLeafType(named)) return fc.constant([]);
  if (isAbstractType(named)) {
    const possible = schema.getPossibleTypes(named);
    return fc.constantFrom(...possible).chain((p) =>
      selectionArb(schema, p, pools, depth).map((sub) => [{ name: '__typename', args: [], sub: [] }, { name: '', args: [], sub, fragmentOn: p.name }]),
    );
  }
  if (!isObjectType(named)) return fc.constant([{ name: '__typename', args: [], sub: [] }]);
  const fields = Object.values(named.getFields()).filter((f) => depth < 3 || isLeafType(getNamedType(f.type)));
  if (!fields.length) return fc.constant([{ name: '__typename', args: [], sub: [] }]);
  return fc
    .subarray(fields, { minLength: 1, maxLength: Math.min(4, fields.length) })
    .chain((chosen) => fc.tuple(...chosen.map((f) => fieldArb(schema, f, pools, depth + 1))));
}

function fieldArb(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, pools: Pools, depth: number): fc.Arbitrary<FieldPlan> {
  return fc.record({
    name: fc.constant(field.name),
    args: argsArb(field.args, pools),
    sub: selectionArb(schema, field.type, pools, depth),
  });
}

/** Every operation the schema allows, as arbitraries; `exclude` names root fields left out. */
export function operationArb(schema: GraphQLSchema, pools: Pools, exclude: Set<string> = new Set()): fc.Arbitrary<OperationPlan> {
  const rootFields = (kind: 'query' | 'mutation') => {
    const type = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
    return Object.values(type?.getFields() ?? {}).filter((f) => !exclude.has(f.name));
  };
  const root = (kind: 'query' | 'mutation') =>
    fc.constantFrom(...rootFields(kind)).chain((f) => fieldArb(schema, f, pools, 0)).map((plan) => ({ kind, plan }));
  return fc.record({
    op: fc.oneof({ weight: 3, arbitrary: root('query') }, { weight: 2, arbitrary: root('mutation') }),
    viewer: fc.constantFrom<Viewer>('anonymous', 'teenager', 'parent', 'operator'),
    get: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  }).map(({ op, viewer, get }) => ({ kind: op.kind, root: op.plan, viewer, get: get && op.kind === 'query' }));
}

/** A value written as a GraphQL literal (strings as JSON strings, which GraphQL reads alike). */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  const t = getNullableType(type) as GraphQLInputType;
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, isListType(t) ? (t.ofType as GraphQLInputType) : t)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = isInputObjectType(t) ? t.getFields() : {};
    return `{ ${Object.entries(value).map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : 'bad_key'}: ${literal(v, fields[k]?.type ?? t)}`).join(', ')} }`;
  }
  if (typeof value === 'string' && isEnumType(t) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) return value;
  if (typeof value === 'number' && !Number.isFinite(value)) return '0';
  return JSON.stringify(value);
}

/** The operation's text and variables. */
export function printOperation(plan: OperationPlan): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const printField = (f: FieldPlan): string => {
    if (f.fragmentOn) return `... on ${f.fragmentOn} { ${f.sub.map(printField).join(' ') || '__typename'} }`;
    const args = f.args.map((a) => {
      const small = JSON.stringify(a.value ?? null)?.length ?? 0;
      if (a.inline && small < 2000) return `${a.name}: ${literal(a.value, a.type)}`;
      const name = `v${definitions.length}`;
      definitions.push(`$${name}: ${String(a.type)}`);
      variables[name] = a.value;
      return `${a.name}: $${name}`;
    });
    const sub = f.sub.length ? ` { ${f.sub.map(printField).join(' ')} }` : '';
    return `${f.name}${args.length ? `(${args.join(', ')})` : ''}${sub}`;
  };
  const body = printField(plan.root);
  return { query: `${plan.kind}${definitions.length ? `(${definitions.join(', ')})` : ''} { ${body} }`, variables };
}
