import { builder } from '../../builder.ts';

builder.prismaObject('ParentalConsent', {
  description: 'A parent authorised a teenager to use the companion. Identified by the pair (parent, teenager); it has no global ID of its own.',
  fields: (t) => ({
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    parent: t.relation('parent'),
    teenager: t.relation('teenager'),
  }),
});
