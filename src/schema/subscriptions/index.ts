// Subscription fields: live updates over SSE and WebSocket (src/http/websocket.ts). Each declares
// who may subscribe (checked when subscribing: scopeAuth authorizeOnSubscribe) and checks the
// caller again, as the database says then, before every event (context.ts refreshCaller).
import { builder } from '../../builder.ts';

builder.subscriptionType({});

import './message-added.ts';
import './session-changed.ts';
import './collective-activity.ts';
