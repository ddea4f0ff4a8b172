// The conversations area: its types (Conversation, ChatSession), then its mutations, one file each.
import './conversation.ts';
import './chat-session.ts';
import './start-conversation.ts';
import './start-chat-session.ts';
import './rename-conversation.ts';
import './delete-conversation.ts';
