import { builder } from '../../builder.ts';
import { badInput } from '../../errors.ts';
import type { AgeClass, UserType } from '../../generated/prisma/client.ts';
import { AgeClassEnum } from '../enums.ts';
import { inTransaction } from '../../db/transaction.ts';
import { changed, signedIn } from '../../auth/caller.ts';
import { check, countryCode, optionalText } from '../../input/fields.ts';

const UpdateProfileInput = builder.inputType('UpdateProfileInput', {
  description: 'Only the fields present change; an explicit null clears a field.',
  fields: (t) => ({
    language: t.field({ type: 'LanguageCode', required: false, description: 'Any ISO 639-1 code; content falls back to French.' }),
    ageClass: t.field({
      type: AgeClassEnum,
      required: false,
      description: 'A teenager account cannot be ADULT; a parent account can only be ADULT.',
    }),
    // String rather than CountryCode: a value the CountryCode scalar refuses in variables is masked
    // as INTERNAL_SERVER_ERROR by the app's error masking; zod answers BAD_USER_INPUT instead.
    country: t.string({ required: false, description: 'ISO 3166-1 alpha-2, upper case, e.g. "FR".', validate: check(countryCode) }),
    school: t.string({ required: false, description: 'Trimmed, at most 200 characters; blank clears it.', validate: check(optionalText(200)) }),
  }),
});

/**
 * A minor cannot declare themself an adult (and so step out of the youth protections), nor a
 * parent a child. The one rule here that depends on the caller, so it is checked in the resolver.
 */
function refuseAgeClass(userType: UserType, ageClass: AgeClass | null | undefined) {
  if (!ageClass || (userType === 'TEENAGER') !== (ageClass === 'ADULT')) return;
  const message = userType === 'TEENAGER' ? 'a teenager account cannot be ADULT' : 'a parent account can only be ADULT';
  throw badInput(`input.ageClass: ${message}`, { issues: [{ path: 'input.ageClass', message }] });
}

const UpdateProfilePayload = builder.objectRef<{ userId: string }>('UpdateProfilePayload').implement({
  description: 'Result of updateProfile: you, after the change.',
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      resolve: (query, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.userId } }),
    }),
  }),
});

builder.mutationField('updateProfile', (t) =>
  t.field({
    authScopes: { user: true },
    type: UpdateProfilePayload,
    description: 'Changes the signed-in user\'s profile. Allowed from the first (ONBOARDING) session on.',
    args: { input: t.arg({ type: UpdateProfileInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      // Each field was checked by its type (LanguageCode, AgeClass) or its own rule (country, school).
      const input = args.input;
      refuseAgeClass(user.userType, input.ageClass);
      const updated = await inTransaction(ctx, (tx) =>
        tx.user.update({
          where: { id: user.id },
          // Absent fields are undefined here, and Prisma leaves them unchanged; null clears.
          data: { language: input.language, ageClass: input.ageClass, country: input.country, school: input.school },
        }),
      );
      // The rest of this request (flags evaluated in the payload, later root fields) sees the new profile.
      changed(ctx, { kind: 'profile', user: updated });
      return { userId: updated.id };
    },
  }),
);
