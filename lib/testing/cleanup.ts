/**
 * Work left for the moment the test process exits: one 'exit' listener for every server, rather than one
 * each (a suite that starts a dozen servers would trip Node's MaxListenersExceededWarning).
 *
 * 'exit' runs on a normal end and on `process.exit()` (mocha `--exit`), and only synchronous work runs in
 * it. It does not run when the process dies from a signal it does not handle (SIGKILL always; SIGTERM,
 * SIGINT and SIGHUP unless something installed a handler): then nothing here runs, and nats-server
 * children and their folders are left behind.
 */
const tasks = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const task of [...tasks]) {
    try { task(); } catch { /* the others still run */ }
  }
  tasks.clear();
}

/** Runs `task` synchronously when the process exits, in registration order; returns a function that cancels it. */
export function atExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
  }
  tasks.add(task);
  return () => { tasks.delete(task); };
}
