import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { rowId } from '../../input/fields.ts';
import { AppSessionNode } from '../users/session.ts';
import { sessionField } from './payload.ts';
import { afterCommit } from '../../events/after-commit.ts';
import { sessionsChanged } from '../../events/topics.ts';
import { inTransaction } from '../../db/transaction.ts';
import { changed, signedIn } from '../../auth/caller.ts';

interface SignOutResult {
  endedSessionIds: string[];
  sessionId: string | null;
}

const SignOutPayload = builder.objectRef<SignOutResult>('SignOutPayload').implement({
  description: 'Result of signOut and signOutEverywhere: the sessions that were ended.',
  fields: (t) => ({
    endedSessionIds: t.globalIDList({
      description: 'Global ids of the sessions ended.',
      resolve: (p) => p.endedSessionIds.map((id) => ({ type: 'AppSession', id })),
    }),
  }),
});
sessionField(SignOutPayload);

const SignOutInput = builder.inputType('SignOutInput', {
  description: 'Input of signOut.',
  fields: (t) => ({
    sessionId: t.globalID({
      for: AppSessionNode,
      required: false,
      description: 'One of your other sessions to end (another device); default: this one.',
      validate: rowId('AppSession'),
    }),
  }),
});

const SignOutEverywhereInput = builder.inputType('SignOutEverywhereInput', {
  description: 'Input of signOutEverywhere.',
  fields: (t) => ({
    keepCurrent: t.boolean({ required: false, defaultValue: false, description: 'End every session but this one.' }),
  }),
});

builder.mutationFields((t) => ({
  signOut: t.field({
    authScopes: { user: true },
    type: SignOutPayload,
    description: 'Ends this session, or another of your sessions.',
    args: { input: t.arg({ type: SignOutInput, required: false }) },
    resolve: async (_root, args, ctx) => {
      const { user, session } = signedIn(ctx);
      const target = args.input?.sessionId?.id ?? session.id;
      const result = await inTransaction(ctx, async (tx) => {
        // Expiring (not deleting) keeps the audit trail; the token stops working at once.
        const { count } = await tx.appSession.updateMany({
          where: { id: target, userId: user.id, expiresAt: { gt: ctx.requestTime } },
          data: { expiresAt: ctx.requestTime },
        });
        if (count === 0) throw notFound();
        // Subscriptions of the ended session complete (sessionChanged, and the others at their next check).
        afterCommit(sessionsChanged(user.id));
        return { endedSessionIds: [target], sessionId: target === session.id ? null : session.id };
      });
      // This session's token no longer works: later root fields of the request run anonymous.
      if (result.sessionId === null) changed(ctx, { kind: 'signedOut' });
      return result;
    },
  }),
  signOutEverywhere: t.field({
    authScopes: { user: true },
    type: SignOutPayload,
    description: 'Ends all your sessions, on every device.',
    args: { input: t.arg({ type: SignOutEverywhereInput, required: false }) },
    resolve: async (_root, args, ctx) => {
      const { user, session } = signedIn(ctx);
      const keepCurrent = args.input?.keepCurrent ?? false;
      const result = await inTransaction(ctx, async (tx) => {
        const where = { userId: user.id, expiresAt: { gt: ctx.requestTime }, ...(keepCurrent ? { id: { not: session.id } } : {}) };
        const ended = await tx.appSession.findMany({ where, select: { id: true } });
        await tx.appSession.updateMany({ where: { id: { in: ended.map((s) => s.id) } }, data: { expiresAt: ctx.requestTime } });
        if (ended.length > 0) afterCommit(sessionsChanged(user.id));
        return { endedSessionIds: ended.map((s) => s.id), sessionId: keepCurrent ? session.id : null };
      });
      if (result.sessionId === null) changed(ctx, { kind: 'signedOut' });
      return result;
    },
  }),
}));
