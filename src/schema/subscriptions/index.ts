// Subscription fields: live updates over SSE and WebSocket (src/http/websocket.ts). Each declares
// who may subscribe (checked when subscribing: scopeAuth authorizeOnSubscribe) and checks the
// caller again, as the database says then, before every event (auth/caller.ts refreshCaller).
import { builder } from '../../builder.ts';

builder.subscriptionType({
  description:
    'Live updates over Server-Sent Events (graphql-sse) or WebSocket (graphql-ws) on /graphql. Each field states who may subscribe; the caller is checked again before every event, and the stream completes once they may no longer read it (signed out, consent withdrawn, role lost).',
});

import './message-added.ts';
import './session-changed.ts';
import './collective-activity.ts';
