// Imports this area's mutations, one file each.
export {};
import './start-conversation.ts';
import './start-chat-session.ts';
import './rename-conversation.ts';
import './delete-conversation.ts';
import '../feedback/submit-feedback.ts';
