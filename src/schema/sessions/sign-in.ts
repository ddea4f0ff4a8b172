import { limitAttempt } from '../../rate-limit/limits.ts';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { generateToken, hashToken } from '../../auth/tokens.ts';
import { verifyIdentity } from '../../auth/identity.ts';
import { viewerParts, viewerUserInclude } from '../../auth/viewer.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { IdpEnum, UserTypeEnum } from '../enums.ts';
import { changed } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';
import { boundedText, check } from '../../input/fields.ts';
import { ErrorCode, isAppError } from '../../errors.ts';

const SignInInput = builder.inputType('SignInInput', {
  description: 'Input of signIn: the identity provider and the login it vouches for, and the profile a new account starts with.',
  fields: (t) => ({
    idp: t.field({ type: IdpEnum, required: true }),
    loginId: t.string({ required: true, description: 'The identity provider\'s subject for this person.', validate: check(boundedText(1, 255)) }),
    origin: t.string({
      required: true,
      description: 'The client, e.g. web_react or discord.',
      validate: check(z.string().trim().regex(/^[a-z0-9_.-]{1,50}$/i, 'letters, digits, _ . - (at most 50)')),
    }),
    userType: t.field({ type: UserTypeEnum, required: false, description: 'Used when the sign-in registers a new user (default TEENAGER).' }),
    language: t.field({ type: 'LanguageCode', required: false, description: 'Used when the sign-in registers a new user.' }),
    capabilities: t.field({ type: 'JSON', required: false, description: 'What the client supports, kept on the session.', validate: check(z.record(z.string(), z.unknown())) }),
  }),
});

interface SignInResult {
  token: string;
  created: boolean;
  sessionId: string;
  userId: string;
}

const SignInPayload = builder.objectRef<SignInResult>('SignInPayload').implement({
  description: 'Result of signIn: the new session\'s bearer token (shown this once), the session, the user, and whether the account was created.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The bearer token. Shown once: only its hash is stored.' }),
    created: t.exposeBoolean('created', { description: 'Whether this sign-in registered a new user.' }),
    session: t.prismaField({
      type: 'AppSession',
      resolve: (query, p, _a, ctx) => ctx.prisma.appSession.findUniqueOrThrow({ ...query, where: { id: p.sessionId } }),
    }),
    user: t.prismaField({
      type: 'User',
      resolve: (query, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.userId } }),
    }),
  }),
});

builder.mutationField('signIn', (t) =>
  t.field({
    authScopes: { public: true },
    type: SignInPayload,
    description: 'Finds the user by (idp, loginId) or registers a new one, and opens a session. Public.',
    args: { input: t.arg({ type: SignInInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      // idp and userType are enums, language the LanguageCode scalar; the rest carry their rules.
      const input = args.input;
      // Per address, and per account signed into (its hash: the raw login id never reaches Redis).
      await limitAttempt(ctx, 'signIn', hashToken(`${input.idp}:${input.loginId}`));
      const loginId = await verifyIdentity(ctx.config, input.idp, input.loginId);
      const token = generateToken();
      const now = ctx.requestTime;
      // Two first sign-ins of one login race: the unique key lets one register; the other retries and finds it.
      const { created, session, user } = await inTransaction(
        ctx,
        async (tx) => {
          let created = false;
          let login = await tx.idpLogin.findUnique({ where: { idp_loginId: { idp: input.idp, loginId } } });
          if (!login) {
            const user = await tx.user.create({ data: { userType: input.userType ?? 'TEENAGER', language: input.language ?? null } });
            login = await tx.idpLogin.create({ data: { idp: input.idp, loginId, userId: user.id } });
            created = true;
          }
          const scope = (await refreshSessionScopes(tx, [login.userId], now)).get(login.userId) ?? 'ONBOARDING';
          const session = await tx.appSession.create({
            data: {
              userId: login.userId,
              origin: input.origin,
              scope,
              capabilities: (input.capabilities ?? {}) as object,
              tokenHash: hashToken(token),
              expiresAt: new Date(now.getTime() + ctx.config.sessionTtlMs),
            },
          });
          const user = await tx.user.update({
            where: { id: login.userId },
            data: { lastSeenAt: now },
            include: viewerUserInclude,
          });
          return { created, session, user };
        },
        { retryOnUniqueViolation: true },
      );
      // The rest of this request (the payload's fields) runs as the user who just signed in.
      changed(ctx, { kind: 'signedIn', viewer: { kind: 'user', session, ...viewerParts(user) } });
      return { token, created, sessionId: session.id, userId: user.id };
    },
  }),
);
