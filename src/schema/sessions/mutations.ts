// Imports this area's mutations, one file each.
import './sign-in.ts';
import './sign-out.ts';
import './accept-terms.ts';
import '../consent/authorization-request.ts';
import '../consent/request-parental-authorization.ts';
import '../consent/parental-consent-mutations.ts';
