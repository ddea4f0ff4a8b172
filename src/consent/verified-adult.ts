// The one seam for proving that whoever grants parental consent is an adult.
//
// What is verified today: that the granting account declared itself a PARENT at sign-in, and (for
// a request) that it holds the one-time code mailed to the contact the teenager named. The mock
// identity provider proves neither identity nor age: a teenager with a second account and access to
// the named mailbox can still pass. A real identity provider that asserts a verified-adult claim
// (an eID, a bank or carrier age check, a payment-card check) plugs in here and nowhere else:
// every path that grants consent calls this function.
import type { User } from '../generated/prisma/client.ts';

/** Whether this user may give parental consent. Today: their self-declared user type. */
export function isVerifiedAdult(user: Pick<User, 'userType'>): boolean {
  return user.userType === 'PARENT';
}
