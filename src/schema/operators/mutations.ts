// Imports this area's mutations, one file each.
export {};
import './upsert-feature-flag.ts';
import './delete-feature-flag.ts';
import './upsert-localized-content.ts';
