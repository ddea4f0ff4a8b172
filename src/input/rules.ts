// One rule for every String, ID and JSON input, applied to the operation's arguments (literals
// and variables) before any resolver runs:
// - no NUL character (PostgreSQL refuses it in text, 22021, and in jsonb, 22P05);
// - no lone UTF-16 surrogate (json refuses it; text would silently store U+FFFD);
// - lists within their bound (src/input/bounds.ts), JSON within its depth and size;
// - String values (user-written text, not IDs or JSON) normalized to NFC, so that lengths
//   checked later count what the user sees and "é" is one character however it was typed.
// A violation is BAD_USER_INPUT naming the argument path, e.g. `signIn.input.capabilities.a`.
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { ErrorCode } from '../errors.ts';
import { INPUT_BOUNDS, maxItemsOf, maxLengthOf } from './bounds.ts';

type Def = GraphQLArgument | GraphQLInputField | undefined;
type Container = Record<string | number, unknown>;

/** More violations than this in one operation are not worth listing. */
const MAX_REPORTED = 10;
/** Input objects nested deeper than this are refused (no input type of ours nests so deep). */
const MAX_INPUT_NESTING = 32;

const LONE_SURROGATE = /\p{Cs}/u;

/** Why a piece of text is refused, or null. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate (malformed Unicode)';
  return null;
}

/** At most this many characters of a place inside a JSON input are echoed back. */
const MAX_ECHOED_PATH = 120;

/**
 * A JSON path as shown in an error: its keys are the client's own text, so a refused key of
 * megabytes would otherwise come back three times (message, jsonPath, issues).
 */
function shortened(jsonPath: string): string {
  if (jsonPath.length <= MAX_ECHOED_PATH) return jsonPath;
  return `${jsonPath.slice(0, MAX_ECHOED_PATH).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/**
 * BAD_USER_INPUT for one argument. `argument` is the full path (`sendMessage.input.text`);
 * `issues` has the shape of the resolvers' own validation errors (src/errors.ts fromZod), with
 * the path from the argument on (`input.text`, list items as `input.messages.2.text`).
 */
export function inputError(argument: string, message: string, node?: ASTNode, extensions: Record<string, unknown> = {}) {
  const path = argument.replace(/\[(\d+)\]/g, '.$1').split('.').slice(1).join('.');
  return new GraphQLError(`${argument}: ${message}`, {
    nodes: node,
    extensions: {
      ...extensions,
      code: ErrorCode.BAD_USER_INPUT,
      argument,
      issues: [{ path, message }],
      // spec: like a validation error, 400 for application/graphql-response+json, 200 for application/json.
      http: { spec: true, status: 400 },
    },
  });
}

class Checker {
  readonly errors: GraphQLError[] = [];
  constructor(
    private readonly variables: Container,
    private readonly variableDefinitions: Map<string, VariableDefinitionNode>,
  ) {}

  private fail(path: string, message: string, node: ASTNode | undefined, extensions?: Record<string, unknown>) {
    if (this.errors.length < MAX_REPORTED) this.errors.push(inputError(path, message, node, extensions));
  }

  private text(value: string, path: string, node: ASTNode | undefined, def: Def) {
    const max = maxLengthOf(def);
    // Code points, counted only when the UTF-16 length leaves it in doubt.
    if (max !== undefined && value.length > max && (value.length > 2 * max || [...value].length > max)) {
      this.fail(path, `must be at most ${max} characters`, node, { maxLength: max });
      return false;
    }
    const problem = textProblem(value);
    if (problem) this.fail(path, problem, node);
    return !problem;
  }

  /** An argument or input field written in the document. */
  node(value: ValueNode, type: GraphQLInputType, def: Def, path: string, at: ASTNode, depth = 0): void {
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      if (Object.hasOwn(this.variables, name)) return this.raw(this.variables, name, type, def, path, at, depth);
      const fallback = this.variableDefinitions.get(name)?.defaultValue;
      if (fallback) this.node(fallback, type, def, path, at, depth);
      return;
    }
    if (value.kind === Kind.NULL) return;
    const nullable = getNullableType(type) as GraphQLInputType;
    if (isListType(nullable)) {
      if (value.kind !== Kind.LIST) return this.node(value, nullable.ofType, def, path, at, depth);
      const max = maxItemsOf(def);
      if (value.values.length > max) return this.fail(path, `must have at most ${max} items`, at, { maxItems: max });
      // Items keep the list's definition: its maxLength bounds each of them.
      value.values.forEach((item, i) => this.node(item, nullable.ofType, def, `${path}[${i}]`, at, depth));
      return;
    }
    if (isInputObjectType(nullable)) {
      if (value.kind !== Kind.OBJECT) return;
      if (depth > MAX_INPUT_NESTING) return this.fail(path, 'is nested too deeply', at);
      const fields = nullable.getFields();
      for (const field of value.fields) {
        const fieldDef = fields[field.name.value];
        if (fieldDef) this.node(field.value, fieldDef.type, fieldDef, `${path}.${fieldDef.name}`, at, depth + 1);
      }
      return;
    }
    if (isScalarType(nullable) && nullable.name === 'JSON') {
      return this.json(valueFromASTUntyped(value, this.variables), path, at);
    }
    if (value.kind === Kind.STRING) this.text(value.value, path, at, def);
  }

  /** A value sent as (part of) a variable; String values are normalized in place. */
  raw(container: Container, key: string | number, type: GraphQLInputType, def: Def, path: string, at: ASTNode, depth: number): void {
    const value = container[key];
    if (value === null || value === undefined) return;
    const nullable = getNullableType(type) as GraphQLInputType;
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return this.raw(container, key, nullable.ofType, def, path, at, depth);
      const max = maxItemsOf(def);
      if (value.length > max) return this.fail(path, `must have at most ${max} items`, at, { maxItems: max });
      for (let i = 0; i < value.length; i++) this.raw(value as unknown as Container, i, nullable.ofType, def, `${path}[${i}]`, at, depth);
      return;
    }
    if (isInputObjectType(nullable)) {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      if (depth > MAX_INPUT_NESTING) return this.fail(path, 'is nested too deeply', at);
      for (const fieldDef of Object.values(nullable.getFields())) {
        if (Object.hasOwn(value, fieldDef.name)) this.raw(value as Container, fieldDef.name, fieldDef.type, fieldDef, `${path}.${fieldDef.name}`, at, depth + 1);
      }
      return;
    }
    if (isScalarType(nullable) && nullable.name === 'JSON') return this.json(value, path, at);
    if (typeof value !== 'string') return;
    if (this.text(value, path, at, def) && nullable.name === 'String') {
      const nfc = value.normalize('NFC');
      if (nfc !== value) container[key] = nfc;
    }
  }

  /** Text inside a JSON input: reported at the input, with the place inside it as `jsonPath`. */
  private jsonText(value: string, path: string, inner: string, at: ASTNode) {
    const problem = textProblem(value);
    const jsonPath = shortened(inner.slice(path.length).replace(/^\./, ''));
    if (problem) this.fail(path, jsonPath ? `${problem} (at ${jsonPath})` : problem, at, jsonPath ? { jsonPath } : {});
    return !problem;
  }

  /** A JSON input: depth first (walked without recursion), then its text, then its size. */
  json(value: unknown, path: string, at: ASTNode) {
    const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path }];
    while (stack.length) {
      const item = stack.pop()!;
      if (typeof item.value === 'string') {
        if (!this.jsonText(item.value, path, item.path, at)) return;
      } else if (item.value !== null && typeof item.value === 'object') {
        const depth = item.depth + 1;
        if (depth > INPUT_BOUNDS.jsonMaxDepth) {
          return this.fail(path, `must be nested at most ${INPUT_BOUNDS.jsonMaxDepth} deep`, at, { maxDepth: INPUT_BOUNDS.jsonMaxDepth });
        }
        for (const [k, v] of Object.entries(item.value)) {
          const childPath = Array.isArray(item.value) ? `${item.path}[${k}]` : `${item.path}.${k}`;
          if (!Array.isArray(item.value) && !this.jsonText(k, path, childPath, at)) return;
          stack.push({ value: v, depth, path: childPath });
        }
      }
    }
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (bytes > INPUT_BOUNDS.jsonMaxBytes) {
      this.fail(path, `must be at most ${INPUT_BOUNDS.jsonMaxBytes} bytes as JSON`, at, { maxBytes: INPUT_BOUNDS.jsonMaxBytes });
    }
  }
}

function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/**
 * Checks every argument of the operation that will run (its fragments included) against the
 * rules above. String values of `variables` are normalized to NFC in place. Returns the
 * violations (at most 10); an operation that cannot be selected is left to execution to refuse.
 */
export function checkOperationInputs(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: unknown,
): GraphQLError[] {
  const operation = selectedOperation(document, operationName);
  if (!operation) return [];
  // Without variables the answer depends on the document alone: a document that passed is not
  // checked again (yoga reuses the parsed document of a repeated query). Refusals are not
  // remembered: each request gets errors of its own.
  const constant = !operation.variableDefinitions?.length;
  if (constant && passedOperations.has(operation)) return [];
  const errors = checkInputs(schema, document, operation, variables);
  if (constant && errors.length === 0) passedOperations.add(operation);
  return errors;
}

/** Operations without variables whose literal inputs passed (parsed documents, held weakly). */
const passedOperations = new WeakSet<OperationDefinitionNode>();

function checkInputs(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: unknown): GraphQLError[] {
  const vars = (variables && typeof variables === 'object' && !Array.isArray(variables) ? variables : {}) as Container;
  const checker = new Checker(vars, new Map((operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d])));
  const typeInfo = new TypeInfo(schema);
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  visit(
    { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] },
    visitWithTypeInfo(typeInfo, {
      // Variable defaults are checked where the variable is used.
      VariableDefinition: () => false,
      Argument(node) {
        const argDef = typeInfo.getArgument();
        if (!argDef) return false;
        const owner = typeInfo.getDirective() ? `@${typeInfo.getDirective()!.name}` : (typeInfo.getFieldDef()?.name ?? '?');
        checker.node(node.value, argDef.type, argDef, `${owner}.${argDef.name}`, node);
        return false;
      },
    }),
  );
  return checker.errors;
}

const normalizedDocuments = new WeakMap<DocumentNode, DocumentNode>();

/**
 * The document with its String literals (in String-typed positions only) normalized to NFC;
 * the same document when there is nothing to change. Cached per parsed document.
 */
export function normalizeStringLiterals(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const cached = normalizedDocuments.get(document);
  if (cached) return cached;
  const typeInfo = new TypeInfo(schema);
  const result = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      StringValue(node) {
        const type = typeInfo.getInputType();
        if (!type || getNamedType(type)?.name !== 'String') return undefined;
        const nfc = node.value.normalize('NFC');
        return nfc === node.value ? undefined : { ...node, value: nfc };
      },
    }),
  );
  normalizedDocuments.set(document, result);
  return result;
}
