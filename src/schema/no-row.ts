// A prismaField that answers null without querying (no signed-in user, a session that was
// ended) must still read its planned query: outside production the Prisma plugin's unused-query
// guard (onUnusedQuery: 'error') would otherwise turn that null into INTERNAL_SERVER_ERROR. The
// guard catches N+1 on rows returned; a null has none.
export function noRow(query: object): null {
  void { ...query };
  return null;
}
