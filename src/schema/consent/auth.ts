// An authorization request is seen by the teenager who made it and by the parent it names.
import { visibleTo } from '../../visibility.ts';
import { hasPermission, viewerUserId } from '../../auth/caller.ts';

export const canSeeAuthorizationRequest = visibleTo<{ teenagerId: string; parentId: string | null }>(
  'ParentalAuthorizationRequest',
  (r, ctx) => {
    const me = viewerUserId(ctx);
    return (!!me && (me === r.teenagerId || me === r.parentId)) || hasPermission(ctx, 'users:read');
  },
);
