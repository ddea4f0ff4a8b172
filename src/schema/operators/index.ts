// The operators area: the mutations operator keys call to write flags and localized content.
import './upsert-feature-flag.ts';
import './delete-feature-flag.ts';
import './upsert-localized-content.ts';
