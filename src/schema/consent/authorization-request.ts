import { builder } from '../../builder.ts';
import { AuthorizationRequestStatusEnum } from '../enums.ts';
import { canSeeAuthorizationRequest } from './auth.ts';

export const AuthorizationRequestNode = builder.prismaNode('ParentalAuthorizationRequest', {
  id: { field: 'id' },
  description: 'A teenager asking a parent for consent. Its id is what the teenager shares with the parent.',
  authScopes: (r, ctx) => canSeeAuthorizationRequest(r, ctx),
  fields: (t) => ({
    parentContact: t.exposeString('parentContact', { nullable: true }),
    status: t.expose('status', { type: AuthorizationRequestStatusEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    teenager: t.relation('teenager'),
  }),
});

builder.prismaObjectField('User', 'authorizationRequests', (t) =>
  t.relation('authorizationRequests', {
    description: 'Your requests for parental consent, newest first.',
    authScopes: (user) => ({ self: user.id }),
    query: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] },
  }),
);
