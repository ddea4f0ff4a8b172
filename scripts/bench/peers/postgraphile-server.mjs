// PostGraphile V5 over the `app` schema, as bench:peers runs it: copied into the benchmark's
// cache folder (where postgraphile is installed) and started with Node 22. No authorization at
// all: the peer measures what a generic GraphQL-over-PostgreSQL server costs.
// Environment: DATABASE_URL, PORT, POOL_MAX; SQL_LOG=1 writes each statement it sends to stdout
// as one JSON line {text, values} (scripts/bench/statement-timing.ts reads them).
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 16) });
if (process.env.SQL_LOG === '1') {
  pool.on('connect', (client) => {
    const query = client.query;
    client.query = function (config, ...rest) {
      if (config && typeof config === 'object' && typeof config.text === 'string') console.log(JSON.stringify({ text: config.text, values: config.values ?? [] }));
      else if (typeof config === 'string') console.log(JSON.stringify({ text: config, values: Array.isArray(rest[0]) ? rest[0] : [] }));
      return query.call(this, config, ...rest);
    };
  });
}
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['app'] })],
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
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.error('ready'));
process.on('SIGTERM', () => process.exit(0));
