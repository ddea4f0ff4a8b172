// Imports this area's mutations, one file each.
import './create-collective.ts';
import './update-member-role.ts';
import './remove-member.ts';
import './leave-collective.ts';
import './set-collective-parental-consent.ts';
import './create-invitation.ts';
import './accept-invitation.ts';
import './revoke-invitation.ts';
import './invitation-preview.ts';
