// The users area: its types (User, AppSession, ParentalConsent), then its mutations, one file each.
import './user.ts';
import './session.ts';
import './parental-consent.ts';
import './update-profile.ts';
