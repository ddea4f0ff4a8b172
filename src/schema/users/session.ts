import { builder } from '../../builder.ts';
import { SessionScopeEnum } from '../enums.ts';
import { canSeeSession } from './auth.ts';

export const AppSessionNode = builder.prismaNode('AppSession', {
  id: { field: 'id' },
  description: 'A signed-in visit. The bearer token is never stored, only its hash, and is never shown again.',
  authScopes: (session, ctx) => canSeeSession(session, ctx),
  fields: (t) => ({
    origin: t.exposeString('origin', { description: 'The client, e.g. web_react or discord.' }),
    scope: t.expose('scope', { type: SessionScopeEnum }),
    capabilities: t.expose('capabilities', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastActiveAt: t.expose('lastActiveAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    current: t.boolean({
      description: 'Whether this is the session making the request.',
      resolve: (session, _args, ctx) => ctx.viewer.kind === 'user' && ctx.viewer.session.id === session.id,
    }),
    user: t.relation('user'),
  }),
});
