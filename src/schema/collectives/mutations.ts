// Imports this area's mutations, one file each.
export {};
