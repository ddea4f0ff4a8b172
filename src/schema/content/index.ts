// The localized-content area: the LocalizedContent type and its queries (operators write it: operators/).
import './localized-content.ts';
