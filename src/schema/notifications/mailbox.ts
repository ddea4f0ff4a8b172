// The development mailbox over GraphQL: what the mailbox notifier kept instead of sending (no
// SMTP_URL), newest first, for operators holding notifications:read. It holds consent codes:
// never grant that permission to a key a teenager or parent could reach.
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { NotificationKind } from '../../generated/prisma/enums.ts';
import { atMostChars, check } from '../../input/fields.ts';

export const MAX_MAILBOX_PAGE = 100;

const NotificationKindEnum = builder.enumType(NotificationKind, { name: 'NotificationKind', description: 'What a notification mail is about. PARENTAL_CONSENT_CODE: the one-time code a parent enters to consent.' });

builder.prismaObject('MailboxMessage', {
  description: 'A mail the development mailbox kept instead of sending it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: NotificationKindEnum }),
    recipient: t.exposeString('recipient'),
    language: t.expose('language', { type: 'LanguageCode' }),
    subject: t.exposeString('subject'),
    text: t.exposeString('text', { description: 'Plain text, as it would have been sent.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('mailbox', (t) =>
  t.prismaField({
    type: ['MailboxMessage'],
    description: `The development mailbox, newest first: mails kept when no SMTP server is configured. Operators holding notifications:read only. first: 1 to ${MAX_MAILBOX_PAGE}.`,
    authScopes: { operator: 'notifications:read' },
    args: {
      // NUL is refused before resolvers, by the input rules (src/input/rules.ts).
      recipient: t.arg.string({
        required: false,
        description: 'Only mails to this address (case ignored).',
        validate: check(z.string().trim().toLowerCase().refine(...atMostChars(255))),
      }),
      first: t.arg.int({ required: false, defaultValue: 20, validate: { min: [1, { message: 'at least 1' }], max: [MAX_MAILBOX_PAGE, { message: `at most ${MAX_MAILBOX_PAGE}` }] } }),
    },
    resolve: (query, _root, args, ctx) => {
      const { recipient } = args;
      const first = args.first ?? 20;
      return ctx.prisma.mailboxMessage.findMany({
        ...query,
        where: recipient ? { recipient } : {},
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first,
      });
    },
  }),
);
