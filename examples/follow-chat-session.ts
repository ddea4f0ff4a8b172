// A client following a chat session live: every new message (the teenager's own from any device,
// the companion's replies) as it is stored, whichever API instance stored it. Over Server-Sent
// Events with graphql-sse (yoga's default transport), or over WebSocket with graphql-ws; both send
// the session's bearer token (SSE: the Authorization header; WebSocket: connection_init's payload).
//
//   npm start                                   # in another terminal
//   npx tsx examples/follow-chat-session.ts <chatSessionId> --token <bearer token> [--transport ws] [--url http://localhost:4000/graphql]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MessageAddedDocument, type MessageAddedSubscription } from '../src/client/generated/graphql.ts';

type Message = MessageAddedSubscription['messageAdded'];

export interface Follow {
  /** Resolves when the server completes the subscription (session ended, consent withdrawn, server shutting down). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Calls onMessage for each message of the chat session from now on. Errors (NOT_FOUND, CONSENT_REQUIRED...) reject `done`. */
export function followChatSession(options: { url: string; token: string; chatSessionId: string; transport?: 'sse' | 'ws'; onMessage(message: Message): void }): Follow {
  const request = { query: print(MessageAddedDocument), variables: { chatSessionId: options.chatSessionId } };
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const sink = {
    next: (result: { data?: unknown; errors?: readonly { message: string }[] }) => {
      if (result.errors?.length) fail(new Error(result.errors.map((e) => e.message).join('; ')));
      else options.onMessage((result.data as MessageAddedSubscription).messageAdded);
    },
    error: (err: unknown) => fail(err),
    complete: () => finish(),
  };
  if (options.transport === 'ws') {
    const client = createWsClient({ url: options.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${options.token}` } });
    const unsubscribe = client.subscribe(request, sink);
    return { done, stop: async () => (unsubscribe(), await client.dispose()) };
  }
  const client = createSseClient({ url: options.url, headers: { authorization: `Bearer ${options.token}` } });
  const unsubscribe = client.subscribe(request, sink);
  return { done, stop: async () => (unsubscribe(), client.dispose()) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' }, token: { type: 'string' }, transport: { type: 'string' } } });
  const url = values.url ?? `http://localhost:${process.env.PORT ?? 4000}/graphql`;
  if (!positionals[0] || !values.token) {
    console.error('usage: npx tsx examples/follow-chat-session.ts <chatSessionId> --token <bearer token> [--transport sse|ws] [--url ...]');
    process.exit(2);
  }
  const follow = followChatSession({
    url,
    token: values.token,
    chatSessionId: positionals[0],
    transport: values.transport === 'ws' ? 'ws' : 'sse',
    onMessage: (m) => console.log(`[${m.createdAt}] ${m.role}: ${m.text}`),
  });
  process.once('SIGINT', () => void follow.stop().then(() => process.exit(0)));
  await follow.done.then(
    () => console.log('subscription completed by the server'),
    (err: Error) => {
      console.error(err.message ?? err);
      process.exitCode = 1;
    },
  );
}
