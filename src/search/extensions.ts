// The request side of document search, as a yoga plugin:
// - `extensions.search` tells clients (and tests) what each search of an operation took from the
//   caches, keyed by the field's response path:
//     { "search": { "searchDocuments": { "embeddingCache": "hit", "resultCache": "miss" } } }
// - cache writes a search defers run once the whole operation has executed, on the app's
//   background queue: never on a request's path, never queued before its own statements (PGlite
//   has one connection).
// Resolvers record both against the request's context object.
import { requestCache } from '../context.ts';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { SearchTrace } from './service.ts';

type Task = () => Promise<unknown>;
interface RequestState {
  traces: Record<string, SearchTrace>;
  tasks: Task[];
}
interface Background {
  background(task: Task): void;
}

// Per request (requestCache, dropped with the request's other state: context.ts,
// releaseRequestState, which runs after this plugin's onExecuteDone).
const stateOf = requestCache((): RequestState => ({ traces: {}, tasks: [] }));

/** `a.b.0.c` for a resolver's info.path. */
export function responsePath(path: { prev: unknown; key: string | number } | undefined): string {
  const keys: (string | number)[] = [];
  for (let p = path; p; p = p.prev as typeof p) keys.unshift(p.key);
  return keys.join('.');
}

export function recordSearchTrace(context: object, path: string, trace: SearchTrace) {
  stateOf(context).traces[path] = trace;
}

/** A deferral for SearchService.search: the task runs after the operation (useDocumentSearch must be installed). */
export const afterExecution = (context: object) => (task: Task) => {
  stateOf(context).tasks.push(task);
};

export function useDocumentSearch(): Plugin {
  return {
    onExecute({ args }) {
      const context = args.contextValue as object & Partial<Background>;
      return {
        onExecuteDone(payload) {
          const state = stateOf(context);
          for (const task of state.tasks.splice(0)) context.background?.(task);
          if (Object.keys(state.traces).length === 0) return;
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            setResult({ ...result, extensions: { ...result.extensions, search: state.traces } });
          });
        },
      };
    },
  };
}
