// Who searches, and whether they may see the caches' markers (issue 9: no user learns what another
// user searched). A cache hit means that someone of the same user type asked a close question
// before; telling a user so would reveal a classmate's search. So extensions.search is left out and
// every SearchResult.fromCache reads false, except for operators holding search:diagnostics and
// when APP_ENV=development.
import type { Context } from '../../context.ts';
import type { DocumentCollection, UserType } from '../../generated/prisma/client.ts';
import { forbidden } from '../../errors.ts';
import { collectionsOf, defaultCollectionOf } from './document.ts';
import { hasPermission, signedIn } from '../../auth/caller.ts';

/** The permission that shows cache markers (and lets an operator search). */
export const SEARCH_DIAGNOSTICS = 'search:diagnostics';

/** Whether this request may see what came from the search caches. */
export const showsCacheMarkers = (ctx: Pick<Context, 'viewer' | 'config'>) => ctx.config.env === 'development' || hasPermission(ctx, SEARCH_DIAGNOSTICS);

/**
 * The user type a search runs as, and its collection. Users need a FULL session and search their
 * own collections. An operator with search:diagnostics searches any collection as its audience
 * (YOUTH as teenagers, ADULT as parents), so it sees the cache those users share.
 */
export function searcherOf(ctx: Context, requested: DocumentCollection | null | undefined): { userType: UserType; collection: DocumentCollection } {
  if (ctx.viewer.kind === 'operator' && hasPermission(ctx, SEARCH_DIAGNOSTICS)) {
    const collection = requested ?? 'YOUTH';
    return { collection, userType: collection === 'ADULT' ? 'PARENT' : 'TEENAGER' };
  }
  // Query.searchDocuments declares FULL session or search:diagnostics: here it is the user.
  const { user } = signedIn(ctx);
  const collection = requested ?? defaultCollectionOf(user.userType);
  if (!collectionsOf(user.userType).includes(collection)) throw forbidden(`Your account cannot search the ${collection} collection`);
  return { collection, userType: user.userType };
}
