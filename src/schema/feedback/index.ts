// The feedback area: its type (Feedback), then its mutation.
import './feedback.ts';
import './submit-feedback.ts';
