// The collectives area: its types (Collective, CollectiveMembership, Invitation), the invitation
// preview query, then its mutations, one file each.
import './collective.ts';
import './membership.ts';
import './invitation.ts';
import './invitation-preview.ts';
import './create-collective.ts';
import './update-member-role.ts';
import './remove-member.ts';
import './leave-collective.ts';
import './set-collective-parental-consent.ts';
import './create-invitation.ts';
import './accept-invitation.ts';
import './revoke-invitation.ts';
