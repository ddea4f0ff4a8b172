// Imports this area's mutations, one file each.
export {};
import './update-profile.ts';
