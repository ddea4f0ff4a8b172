// Global ID inputs are declared one way: `t.globalID({ for: XNode })` (input fields) and
// `t.arg.globalID({ for: XNode })` (arguments). Pothos's relay plugin decodes them before any
// resolver runs and refuses a malformed id or an id of another type with a PothosValidationError,
// which has no extensions.code and does not say which input it was. This plugin turns that
// refusal into the product's BAD_USER_INPUT naming the input, e.g.
// `input.conversationId: must be the ID of a Conversation` with
// `extensions.issues: [{ path: 'input.conversationId', message }]`: the same answer whatever was
// wrong with the id, and syntactic only, so it says nothing about which objects exist.
// Relay decodes ids before every other plugin's wrapper, so the refusal is held back until the
// field's authScopes and zod rules have run (an anonymous caller gets UNAUTHENTICATED whatever
// the input, and the id is reported with the other fields' issues): the refused id is replaced
// by an id of the expected type whose key `rowId` refuses with the same message, and, should no
// rule refuse it, the innermost wrapper throws the held refusal before the resolver.
// (A well-formed id whose key is not a UUID is refused by the field's own rule, rowId in fields.ts.)
import SchemaBuilder, { BasePlugin, PothosValidationError, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import {
  getNullableType,
  isInputObjectType,
  isListType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { badInput } from '../errors.ts';
import { notAnIdOf } from './fields.ts';

type Issue = { path: string; message: string };

/** Why one global ID value is refused for this input, or null. */
function refusal(value: unknown, def: GraphQLArgument | GraphQLInputField): string | null {
  const expected = (def.extensions?.relayGlobalIDFor as { typename: string }[] | null | undefined)?.map((f) => f.typename) ?? null;
  let typename: string | null = null;
  try {
    typename = decodeGlobalID(String(value)).typename;
  } catch {
    typename = null;
  }
  if (typename !== null && (!expected || expected.includes(typename))) return null;
  return expected ? notAnIdOf(expected) : 'must be a global ID';
}

/** The refused global IDs among an argument's value (lists and nested input objects included). */
/** A key no row has and `rowId` refuses: stands in for a refused id until the field's rules have run. */
const REFUSED_KEY = 'refused';

/**
 * The refused global IDs among an argument's value (lists and nested input objects included),
 * and the value with each refused id replaced by an id of the expected type with REFUSED_KEY
 * (`stood` is false when some refused id has no expected type to stand in for it).
 */
function collect(value: unknown, type: GraphQLInputType, def: GraphQLArgument | GraphQLInputField, path: string, issues: Issue[], stood: { ok: boolean }, depth = 0): unknown {
  if (value === null || value === undefined || depth > 32) return value;
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) {
    if (Array.isArray(value)) return value.map((item, i) => collect(item, nullable.ofType, def, `${path}.${i}`, issues, stood, depth + 1));
    return collect(value, nullable.ofType, def, path, issues, stood, depth + 1);
  }
  if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return value;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of Object.values(nullable.getFields())) {
      if (!Object.hasOwn(copy, field.name)) continue;
      copy[field.name] = collect(copy[field.name], field.type, field, `${path}.${field.name}`, issues, stood, depth + 1);
    }
    return copy;
  }
  if (def.extensions?.isRelayGlobalID) {
    const message = refusal(value, def);
    if (!message) return value;
    issues.push({ path, message });
    const expected = (def.extensions?.relayGlobalIDFor as { typename: string }[] | null | undefined)?.[0]?.typename;
    if (!expected) {
      stood.ok = false;
      return value;
    }
    return encodeGlobalID(expected, REFUSED_KEY);
  }
  return value;
}

/** The held refusal and the arguments with every refused id stood in for, or null when nothing is refused. */
function refused(args: Record<string, unknown>, info: GraphQLResolveInfo) {
  const field = info.parentType.getFields()[info.fieldName];
  const issues: Issue[] = [];
  const stood = { ok: true };
  const standIns: Record<string, unknown> = { ...args };
  for (const arg of field?.args ?? []) {
    if (Object.hasOwn(args, arg.name)) standIns[arg.name] = collect(args[arg.name], arg.type, arg, arg.name, issues, stood);
  }
  if (!issues.length) return null;
  const error = badInput(issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  return { error, standIns: stood.ok ? standIns : null };
}

/** BAD_USER_INPUT for the global IDs of these (raw) arguments that do not decode to an expected type, or null. */
export function globalIdRefusal(args: Record<string, unknown>, info: GraphQLResolveInfo) {
  return refused(args, info)?.error ?? null;
}

/** Resolutions whose ids were refused and stood in for (the same info object reaches every wrapper). */
const held = new WeakMap<GraphQLResolveInfo, Error>();

export class GlobalIdInputsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!resolver || !fieldConfig.argMappers.length) return resolver;
    return (parent, args, ctx, info) => {
      try {
        return resolver(parent, args, ctx, info);
      } catch (err) {
        // Relay decodes synchronously, before the resolver: only its refusals are rewritten.
        if (!(err instanceof PothosValidationError)) throw err;
        const refusal = refused(args as Record<string, unknown>, info);
        if (!refusal) throw err;
        if (!refusal.standIns) throw refusal.error;
        held.set(info, refusal.error);
        return resolver(parent, refusal.standIns, ctx, info);
      }
    };
  }

  // Listed after the zod plugin, so this runs after authScopes and the field's rules.
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!fieldConfig.argMappers.length) return resolver;
    return (parent, args, ctx, info) => {
      const error = held.get(info);
      if (error) throw error;
      return resolver(parent, args, ctx, info);
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe || !fieldConfig.argMappers.length) return subscribe;
    return (parent, args, ctx, info) => {
      const error = held.get(info);
      if (error) throw error;
      return subscribe(parent, args, ctx, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      globalIdInputs: GlobalIdInputsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('globalIdInputs', GlobalIdInputsPlugin);

export default 'globalIdInputs' as const;
