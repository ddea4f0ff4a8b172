// Global ID inputs are declared one way: `t.globalID({ for: XNode })` (input fields) and
// `t.arg.globalID({ for: XNode })` (arguments). Pothos's relay plugin decodes them before any
// resolver runs and refuses a malformed id or an id of another type with a PothosValidationError,
// which has no extensions.code and does not say which input it was. This plugin turns that
// refusal into the product's BAD_USER_INPUT naming the input, e.g.
// `input.conversationId: must be the ID of a Conversation` with
// `extensions.issues: [{ path: 'input.conversationId', message }]`: the same answer whatever was
// wrong with the id, and syntactic only, so it says nothing about which objects exist.
// (A well-formed id whose key is not a UUID is refused by the field's own rule, rowId in fields.ts.)
import SchemaBuilder, { BasePlugin, PothosValidationError, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { decodeGlobalID } from '@pothos/plugin-relay';
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
function collect(value: unknown, type: GraphQLInputType, def: GraphQLArgument | GraphQLInputField, path: string, issues: Issue[], depth = 0) {
  if (value === null || value === undefined || depth > 32) return;
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) {
    if (Array.isArray(value)) value.forEach((item, i) => collect(item, nullable.ofType, def, `${path}.${i}`, issues, depth + 1));
    return;
  }
  if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return;
    for (const field of Object.values(nullable.getFields())) {
      collect((value as Record<string, unknown>)[field.name], field.type, field, `${path}.${field.name}`, issues, depth + 1);
    }
    return;
  }
  if (def.extensions?.isRelayGlobalID) {
    const message = refusal(value, def);
    if (message) issues.push({ path, message });
  }
}

/** BAD_USER_INPUT for the global IDs of these (raw) arguments that do not decode to an expected type, or null. */
export function globalIdRefusal(args: Record<string, unknown>, info: GraphQLResolveInfo) {
  const field = info.parentType.getFields()[info.fieldName];
  const issues: Issue[] = [];
  for (const arg of field?.args ?? []) collect(args[arg.name], arg.type, arg, arg.name, issues);
  if (!issues.length) return null;
  return badInput(issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

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
        if (err instanceof PothosValidationError) throw globalIdRefusal(args as Record<string, unknown>, info) ?? err;
        throw err;
      }
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
