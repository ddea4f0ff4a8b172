// The parental-consent area: its type (ParentalAuthorizationRequest), then its mutations.
import './authorization-request.ts';
import './request-parental-authorization.ts';
import './parental-consent-mutations.ts';
