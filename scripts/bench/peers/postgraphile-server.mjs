// PostGraphile V5 over the `app` schema, as bench:peers runs it: copied into the benchmark's
// cache folder (where postgraphile is installed) and started with Node 22. No authorization at
// all: the peer measures what a generic GraphQL-over-PostgreSQL server costs.
// Environment: DATABASE_URL, PORT, POOL_MAX.
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['app'], poolConfig: { max: Number(process.env.POOL_MAX ?? 16) } })],
  grafserv: { graphqlPath: '/graphql', graphiql: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
serv.addTo(server).catch((err) => {
  console.error(err);
  process.exit(1);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
