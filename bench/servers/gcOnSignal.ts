// Preloaded into a server under test (`node --expose-gc --import …/gcOnSignal.js`): on SIGUSR2 it
// runs a full GC and says so on stderr, so the suite reads VmRSS after garbage is gone. It adds
// nothing to the server's work otherwise.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  process.stderr.write(`bench:gc ${gc ? 'done' : 'unavailable'}\n`);
});
