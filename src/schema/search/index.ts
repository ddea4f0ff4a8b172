// Imports this area's types, queries and mutations.
export {};
