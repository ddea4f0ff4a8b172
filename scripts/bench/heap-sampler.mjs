// Preloaded into the server by scripts/bench/allocations.ts (`node --import`): V8's sampling heap
// profiler through the inspector. SIGUSR1 starts sampling (every 4 KB allocated; objects collected by
// a young-generation GC are kept unless HEAP_SURVIVORS=1, which leaves only what outlived one),
// SIGUSR2 stops and writes the profile to HEAP_OUT (atomically). Benchmark use only.
import inspector from 'node:inspector';
import { renameSync, writeFileSync } from 'node:fs';

const session = new inspector.Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
await post('HeapProfiler.enable');
process.on('SIGUSR1', () => {
  void post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.HEAP_SURVIVORS !== '1',
  });
});
process.on('SIGUSR2', async () => {
  const { profile } = await post('HeapProfiler.stopSampling');
  // Written whole, then renamed: the reader waits for the file and must never see half of it.
  writeFileSync(`${process.env.HEAP_OUT}.partial`, JSON.stringify(profile));
  renameSync(`${process.env.HEAP_OUT}.partial`, process.env.HEAP_OUT);
  console.error('heap profile written');
});
