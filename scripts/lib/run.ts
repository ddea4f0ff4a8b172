// What every command-line script shares: a failure is one line on stderr and exit code 1, never
// a stack trace. Errors here explain themselves (a locked PGlite folder names its owner process
// and what to do instead; a bad option or file says which).
export function runScript(main: () => Promise<number>, prefix = '') {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`${prefix}${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
