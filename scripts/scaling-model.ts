// npm run scaling:model: the arithmetic behind docs/scaling.md. Every input is either a figure
// printed by one of this repository's benchmark commands (named next to it) or an assumption
// stated as one; the script only multiplies them, so the document's tables can be re-derived
// (and re-derived again when a benchmark is re-run: change the measured inputs here).
// Prints Markdown. No I/O besides stdout.

/** Measured: where each figure comes from. */
const measured = {
  // `npm run bench:api` on PostgreSQL 15, 2 cores, quiet machine (README "Benchmarks"): the
  // teenager's own screen, with server, PostgreSQL and autocannon sharing the 2 cores.
  readRps: 299,
  readStatements: 2.01,
  // `npm run bench:api -- --duration 20` (with the sendMessage row) at load average ~20: sendMessage
  // ran at 18 req/s when the read ran at 30 in the same run (an earlier 10 s run: 20 and 26; the
  // costlier ratio is kept). Quiet-machine write rate = readRps x 18/30: the ratio within one run
  // carries over, the load does not.
  writeToReadRatio: 18 / 30,
  writeStatements: 6.32,
  cores: 2,
  // README "Benchmarks": the operator tree's statement executes in ~7 ms of ~34 ms per request (EXPLAIN ANALYZE): the database's share of a request's CPU.
  dbShare: 7 / 34,
  // `npm run bench:search` on PostgreSQL 15, 100k chunks, quiet machine (README "Search benchmark"): HYBRID p50, ef_search 40.
  searchMs: 36.4,
  searchCacheHitMs: 1.9,
  // `npm run bench:search -- --chunks 10000` (docs/scaling.md, load 17): on-disk bytes per chunk.
  hnswBytesPerChunk: 2049,
  chunkTableBytesPerChunk: 3780,
  ftsBytesPerChunk: 644,
  // `npm run bench:api` (sendMessage row): one app.message row (pg_column_size) with a 41-character
  // text, and the table with its indexes and TOAST per message (an upper bound at 372 rows).
  // `npm run bench:subscriptions` (defaults: 1000 SSE subscriptions on A, one chat session, 20
  // events through B every 250 ms) on main at load average 4.9, 2 cores: 20000 of 20000
  // deliveries; per delivery p50 455.2 ms, p99 856.0 ms. Memory per open subscription on A: 74.6
  // KiB RSS (used: what the machine must provide), 71.0 KiB V8 heap.
  subscriptionKiB: 74.6,
  // The same run offered 4 events/s x 1000 subscribers = 4000 deliveries/s and A kept up (every
  // event reached its last subscriber within 0.9 s at p99, the backlog did not grow): at most
  // 2 cores x 1000 / 4000 = 0.5 core-ms per delivery, whole machine (A, B, PostgreSQL, Redis and
  // the 1000 clients shared the 2 cores with other sessions' work): an upper bound.
  fanoutDeliveriesPerSecond: (20 / 5) * 1000,
  messageRowBytes: 152,
  messageTotalBytes: 749,
};

/** Assumptions: not measured; change them and re-run. */
const assumed = {
  dailyActiveShare: 0.5,
  /** Per active teenager per day. */
  messagesSent: 20,
  screenReads: 36,
  searches: 4,
  /** Each teenager message gets one companion reply, written by the agent through appendMessages (an API-key write). */
  repliesPerMessage: 1,
  /** Share of a day's requests in its busiest hour, and the busiest second against that hour's mean. */
  peakHourShare: 0.15,
  peakSecondFactor: 2,
  /** Share of daily actives with the chat open (one messageAdded subscription each) at the peak. */
  openAtPeak: 0.1,
  /** Subscribers a messageAdded event reaches (the chat session's own teenager when its chat is open; counted as always). */
  subscribersPerEvent: 1,
  /** CPU kept free for spikes and failover. */
  targetUtilization: 0.6,
  /** Share of non-search reads that follow the viewer's own write within READ_YOUR_WRITES_MS (they read the primary). */
  readsInWriteWindow: 0.5,
  /** Network round trip between API and database (or PgBouncer), per statement. */
  rttMs: 0.5,
  /** Server connections per busy connection in a PgBouncer pool (headroom for bursts). */
  poolHeadroom: 3,
  /** The HNSW index should fit in memory with this factor of room (upper levels, other relations). */
  memoryHeadroom: 1.5,
  /** Knowledge-base chunks per deployment tier (documents are shared, not per teenager). */
  chunks: { 10_000: 100_000, 100_000: 1_000_000, 1_000_000: 5_000_000 } as Record<number, number>,
};

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ceil = Math.ceil;

// Costs per request, in core-milliseconds (the whole machine: Node, PostgreSQL, load generator),
// split between the API and the database by the measured database share.
const readCoreMs = (measured.cores * 1000) / measured.readRps;
const writeRps = measured.readRps * measured.writeToReadRatio;
const writeCoreMs = (measured.cores * 1000) / writeRps;
const apiShare = 1 - measured.dbShare;
// One delivery (re-check the subscriber, execute its selection, write the SSE frame), core-ms, upper bound.
const deliveryCoreMs = (measured.cores * 1000) / measured.fanoutDeliveriesPerSecond;
/** Deliveries per second one API process (1 core, at the CPU target) can make, from that cost. */
const deliveriesPerProcess = (assumed.targetUtilization * 1000) / deliveryCoreMs;

const perTeen = {
  writes: assumed.messagesSent * (1 + assumed.repliesPerMessage),
  reads: assumed.screenReads,
  searches: assumed.searches,
};
const perTeenTotal = perTeen.writes + perTeen.reads + perTeen.searches;
const peakFactor = assumed.peakHourShare * 24 * assumed.peakSecondFactor;

function tier(teenagers: number) {
  const active = teenagers * assumed.dailyActiveShare;
  const peak = (n: number) => ((active * n) / 86_400) * peakFactor;
  const writes = peak(perTeen.writes);
  const reads = peak(perTeen.reads);
  const searches = peak(perTeen.searches);
  const requests = writes + reads + searches;
  // Each message written (teenager's or reply) publishes one messageAdded event.
  const events = writes;
  const subscriptions = active * assumed.openAtPeak;

  const deliveries = events * assumed.subscribersPerEvent;
  // Requests (their API share) plus fan-out (counted whole: its cost is already an upper bound).
  const fanoutCores = (deliveries * deliveryCoreMs) / 1000;
  const apiCores = (apiShare * (writes * writeCoreMs + (reads + searches) * readCoreMs)) / 1000 + fanoutCores;
  const primaryReads = reads * assumed.readsInWriteWindow;
  const replicaReads = reads - primaryReads;
  const primaryCores = (measured.dbShare * (writes * writeCoreMs + primaryReads * readCoreMs)) / 1000;
  const replicaCores = (measured.dbShare * replicaReads * readCoreMs + searches * measured.searchMs) / 1000;

  // Little's law: connections busy = rate x time each holds one (database CPU + a round trip per statement).
  const holdWrite = measured.dbShare * writeCoreMs + measured.writeStatements * assumed.rttMs;
  const holdRead = measured.dbShare * readCoreMs + measured.readStatements * assumed.rttMs;
  const holdSearch = measured.searchMs + 2 * assumed.rttMs;
  const primaryBusy = (writes * holdWrite + primaryReads * holdRead) / 1000;
  const replicaBusy = (replicaReads * holdRead + searches * holdSearch) / 1000;

  const processes = Math.max(2, ceil(apiCores / assumed.targetUtilization));
  const primarySize = Math.max(2, ceil(primaryCores / assumed.targetUtilization / 2) * 2);
  // One replica core budget; at least one replica from 100k up (failover and search isolation), one more for redundancy.
  const replicaCoreNeed = replicaCores / assumed.targetUtilization;
  const replicaSize = Math.max(2, Math.min(16, 2 ** ceil(Math.log2(Math.max(1, replicaCoreNeed / 2)))));
  const replicas = teenagers < 100_000 ? 0 : ceil(replicaCoreNeed / replicaSize) + 1;

  const chunks = assumed.chunks[teenagers];
  const hnswGiB = (chunks * measured.hnswBytesPerChunk) / 2 ** 30;
  const messagesPerDay = active * perTeen.writes;
  return {
    teenagers, active, requests, writes, reads, searches, events, subscriptions,
    deliveries, fanoutCores, apiCores, processes, primaryCores, primarySize, replicaCores, replicaSize, replicas,
    primaryBusy, replicaBusy,
    primaryPool: Math.max(5, ceil(primaryBusy * assumed.poolHeadroom)),
    replicaPool: Math.max(5, ceil((replicas ? replicaBusy / (replicas - 1 || 1) : replicaBusy) * assumed.poolHeadroom)),
    clientConnections: processes * 10,
    chunks, hnswGiB,
    hnswRamGiB: hnswGiB * assumed.memoryHeadroom,
    chunkTableGiB: (chunks * measured.chunkTableBytesPerChunk) / 2 ** 30,
    messagesPerDay,
    messageGiBPerDay: (messagesPerDay * measured.messageRowBytes) / 2 ** 30,
    messageTotalGiBPerDay: (messagesPerDay * measured.messageTotalBytes) / 2 ** 30,
    redisMessagesOut: events * processes,
    subscriptionMiBPerProcess: (subscriptions / processes) * measured.subscriptionKiB / 1024,
  };
}

const tiers = [10_000, 100_000, 1_000_000].map(tier);
const row = (label: string, f: (t: ReturnType<typeof tier>) => string) => console.log(`| ${label} | ${tiers.map(f).join(' | ')} |`);

console.log(`Derived per request (core-ms, whole machine): read ${fmt(readCoreMs, 1)}, write ${fmt(writeCoreMs, 1)}; database share ${fmt(measured.dbShare * 100)} %; search ${measured.searchMs} ms of database time.`);
console.log(`Fan-out: ${fmt(measured.fanoutDeliveriesPerSecond)} deliveries/s kept up on ${measured.cores} cores -> at most ${fmt(deliveryCoreMs, 2)} core-ms per delivery; one API process (1 core, ${assumed.targetUtilization * 100} % target) delivers ${fmt(deliveriesPerProcess)}/s: ${fmt(deliveriesPerProcess)} events/s at one subscriber each, ${fmt(deliveriesPerProcess / 1000, 1)} events/s at 1000 subscribers each.`);
console.log(`Per active teenager per day: ${perTeenTotal} requests (${perTeen.writes} writes, ${perTeen.reads} reads, ${perTeen.searches} searches); peak factor ${fmt(peakFactor, 1)} x the daily mean.\n`);
console.log('| | 10k teenagers | 100k teenagers | 1M teenagers |');
console.log('|---|---|---|---|');
row('daily active', (t) => fmt(t.active));
row('requests/s at peak', (t) => fmt(t.requests));
row('  writes / reads / searches per s', (t) => `${fmt(t.writes)} / ${fmt(t.reads)} / ${fmt(t.searches)}`);
row('messageAdded events/s at peak', (t) => fmt(t.events));
row('open subscriptions at peak', (t) => fmt(t.subscriptions));
row(`subscription deliveries/s at peak (${assumed.subscribersPerEvent} subscriber per event)`, (t) => fmt(t.deliveries));
row('API CPU at peak (cores busy; fan-out included)', (t) => `${fmt(t.apiCores, 1)} (${fmt(t.fanoutCores, 2)})`);
row(`API processes (1 core each, ${assumed.targetUtilization * 100} % target, at least 2)`, (t) => fmt(t.processes));
row('memory for open subscriptions per process (MiB)', (t) => fmt(t.subscriptionMiBPerProcess));
row('primary CPU busy (cores) / size', (t) => `${fmt(t.primaryCores, 1)} / ${t.primarySize} cores`);
row('replica CPU busy (cores, search included)', (t) => fmt(t.replicaCores, 1));
row('read replicas x size', (t) => (t.replicas ? `${t.replicas} x ${t.replicaSize} cores` : 'none (primary serves reads)'));
row('busy connections: primary / replicas (all)', (t) => `${fmt(t.primaryBusy, 1)} / ${fmt(t.replicaBusy, 1)}`);
row(`PgBouncer default_pool_size: primary / each replica (${assumed.poolHeadroom}x busy, at least 5)`, (t) => `${t.primaryPool} / ${t.replicas ? t.replicaPool : '-'}`);
row('client connections into PgBouncer (processes x DB_POOL_MAX 10)', (t) => fmt(t.clientConnections));
row('knowledge-base chunks (assumed)', (t) => fmt(t.chunks));
row('HNSW index size / RAM to keep it cached (GiB)', (t) => `${fmt(t.hnswGiB, 2)} / ${fmt(t.hnswRamGiB, 2)}`);
row('chunk table with TOAST (GiB)', (t) => fmt(t.chunkTableGiB, 2));
row('messages stored per day', (t) => fmt(t.messagesPerDay));
row('message storage per day, GiB (rows / with indexes, upper bound)', (t) => `${fmt(t.messageGiBPerDay, 2)} / ${fmt(t.messageTotalGiBPerDay, 2)}`);
row('Redis pub/sub deliveries/s (events x API processes)', (t) => fmt(t.redisMessagesOut));
console.log(`\nHNSW: ${fmt((1e6 * measured.hnswBytesPerChunk) / 2 ** 30, 2)} GiB per million chunks (384 dimensions, m 16); chunk table ${fmt((1e6 * measured.chunkTableBytesPerChunk) / 2 ** 30, 2)} GiB and full-text GIN ${fmt((1e6 * measured.ftsBytesPerChunk) / 2 ** 30, 2)} GiB per million.`);
