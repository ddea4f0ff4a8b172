// Message transcripts: the Message type, the transcript fields of ChatSession and Conversation,
// and the mutations that write messages, one file each.
import './message.ts';
import './fields.ts';
import './send-message.ts';
import './append-messages.ts';
