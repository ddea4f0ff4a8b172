// The load generator of the benchmarks, run as its own process (scripts/bench/load.ts spawns it)
// so that its CPU is not the server's. Reads one JSON argument (autocannon's options: url,
// method, headers, body, connections, duration) and prints autocannon's result as one JSON line.
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);
const result = await autocannon(options);
process.stdout.write(JSON.stringify(result) + '\n');
