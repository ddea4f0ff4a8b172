import { z } from 'zod';
import { builder } from '../../builder.ts';
import { forbidden } from '../../errors.ts';
import { inTransaction, parseInput, signedIn } from '../mutation-helpers.ts';

const RequestParentalAuthorizationInput = builder.inputType('RequestParentalAuthorizationInput', {
  fields: (t) => ({
    parentContact: t.string({ required: true, description: "A parent's e-mail address or phone number." }),
  }),
});

const RequestParentalAuthorizationPayload = builder.objectRef<{ requestId: string }>('RequestParentalAuthorizationPayload').implement({
  fields: (t) => ({
    authorizationRequest: t.prismaField({
      type: 'ParentalAuthorizationRequest',
      resolve: (q, p, _a, ctx) => ctx.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ ...q, where: { id: p.requestId } }),
    }),
  }),
});

const email = z.string().email().max(255).transform((s) => s.toLowerCase());
const phone = z
  .string()
  .regex(/^\+?[0-9][0-9 .-]{5,19}$/, 'an e-mail address or a phone number')
  .transform((s) => s.replace(/[ .-]/g, ''));
const schema = z.object({ parentContact: z.string().trim().pipe(z.union([email, phone])) });

builder.mutationField('requestParentalAuthorization', (t) =>
  t.field({
    authScopes: { session: 'PENDING_CONSENT' },
    type: RequestParentalAuthorizationPayload,
    description: 'A teenager asks a parent for consent. One open request per parent contact: asking again returns it.',
    args: { input: t.arg({ type: RequestParentalAuthorizationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      if (user.userType !== 'TEENAGER') throw forbidden('Only teenagers ask for parental consent');
      const { parentContact } = parseInput(schema, args.input);
      const open = { teenagerId: user.id, parentContact, status: 'PENDING' as const };
      const findOrCreate = () =>
        inTransaction(ctx, async (tx) => {
          const existing = await tx.parentalAuthorizationRequest.findFirst({ where: open, select: { id: true } });
          return existing ?? (await tx.parentalAuthorizationRequest.create({ data: open, select: { id: true } }));
        });
      // A concurrent twin may win the unique index on open requests: then read its row.
      const row = await findOrCreate().catch((err) => {
        if ((err as { extensions?: { code?: string } }).extensions?.code === 'CONFLICT') return findOrCreate();
        throw err;
      });
      return { requestId: row.id };
    },
  }),
);
