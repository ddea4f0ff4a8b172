// The sessions area: signing in and out, and accepting the terms (payloads in payload.ts).
import './sign-in.ts';
import './sign-out.ts';
import './accept-terms.ts';
