// sessionChanged: the caller's own session, now and whenever its scope moves (a teenager waiting in
// PENDING_CONSENT learns the moment a parent grants consent, on whichever instance). Completes when
// the session ends (signed out here or elsewhere, or expired at the next change).
import { builder } from '../../builder.ts';
import type { AppSession } from '../../generated/prisma/client.ts';
import { AppSessionNode } from '../users/session.ts';
import { refreshCaller, signedIn } from '../../auth/caller.ts';

builder.subscriptionField('sessionChanged', (t) =>
  t.field({
    type: AppSessionNode,
    description:
      'Your current session at once, then again each time its scope changes (accepting the terms, a parent granting or ' +
      'withdrawing consent, joining or leaving a collective that grants it). Completes when this session ends: signOut ' +
      '(from any device), signOutEverywhere, or expiry noticed at the next change.',
    authScopes: { user: true },
    subscribe: async (_root, _args, ctx) => {
      const { user, session } = signedIn(ctx);
      let last = session.scope;
      return ctx.events.stream<AppSession>(
        [{ topic: 'sessionsChanged', id: user.id }],
        async () => {
          if (!(await refreshCaller(ctx))) return 'end';
          const now = signedIn(ctx).session;
          if (now.scope === last) return [];
          last = now.scope;
          return [now];
        },
        async () => [session],
      );
    },
    resolve: (session) => session,
  }),
);
