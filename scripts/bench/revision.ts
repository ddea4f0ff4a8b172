// Another revision of this repository, checked out beside it for a benchmark that measures it in
// the same run (`--before <git revision>`). Not a test.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `rev`'s files (git archive) in a temporary folder, with this checkout's node_modules (a symlink)
 * and generated Prisma client (a revision's schema may differ only in what raw SQL reads, which
 * the client does not model). dir: the folder; sha: the commit; remove() deletes the folder.
 */
export function checkOutRevision(rev: string, prefix: string) {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: repo, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: repo });
    symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
    cpSync(path.join(repo, 'src/generated'), path.join(dir, 'src/generated'), { recursive: true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, sha, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
