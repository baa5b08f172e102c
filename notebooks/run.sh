#!/usr/bin/env bash
# Executes the notebooks headless and exports them; exits non-zero if any cell of any notebook fails.
#   bash notebooks/run.sh [notebook.ipynb ...]   (default: every notebooks/[0-9]*.ipynb)
# Steps: build the library into dist/ (notebooks import ../dist/...: tslab compiles each cell
# with its own TypeScript and cannot import the repo's .ts sources), register the tslab kernel
# if needed, then run each notebook (nbclient, kernel tslab, working directory notebooks/)
# under a per-notebook timeout. The executed copy and the log are saved even when a cell fails or
# the notebook times out, so the error can be read in them; the kernel's whole process group
# (with any run workers) is killed then. A timed-out notebook is not retried. Executed copies and HTML exports go to notebooks/executed/ (git-ignored).
# Each executed copy carries a stamp (metadata.primed: the SHA-256 of its code cells, how the run
# ended, the scale, the budget, the wall time); `npx tsx notebooks/check.ts adopt` commits executed
# copies over the sources, and test/notebook-sources.test.ts checks the committed ones against the stamp.
# Environment:
#   NOTEBOOK_TIMEOUT  seconds per notebook (default 1800)
#   CELL_TIMEOUT      seconds per cell (default: the notebook timeout)
#   SCALE             exported to the notebooks as PRIMED_SCALE (default mini)
#   SKIP_BUILD=1      do not rebuild dist/
#   NOTEBOOK_OUT      where executed copies, HTML and logs go (default notebooks/executed)
#   NOTEBOOK_RETRIES  re-runs of a failed notebook (default 1; 0 = none). Each retry is logged and
#                     the failed attempt's log kept as <name>.attempt<N>.log. The intermittent empty
#                     `<Error>:` failures this was added for (02's table cell, 00's training cells)
#                     were tslab's output socket throwing EBUSY under heavy output, fixed in
#                     kernel-lib/send-queue.ts; the retry stays as a guard for other transient faults.
#   JUPYTER_PATH      Jupyter's own: a folder whose kernels/tslab/kernel.json is used instead of the system one
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${NOTEBOOK_OUT:-$root/notebooks/executed}"
timeout_nb=${NOTEBOOK_TIMEOUT:-1800}
timeout_cell=${CELL_TIMEOUT:-$timeout_nb}
export PRIMED_SCALE=${SCALE:-mini}
PY=/usr/bin/python3 # Debian's python, which has nbclient/nbconvert (scripts/setup.sh)
log() { echo "[notebooks] $*" >&2; }

if [ $# -gt 0 ]; then nbs=("$@"); else
  shopt -s nullglob; nbs=(notebooks/[0-9]*.ipynb); shopt -u nullglob
fi
if [ ${#nbs[@]} -eq 0 ]; then log "no notebooks/[0-9]*.ipynb to run"; exit 0; fi

"$PY" -c 'import nbclient, nbconvert' 2>/dev/null || { log "$PY lacks nbclient/nbconvert: apt-get install jupyter-nbconvert python3-ipykernel"; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "build (npm run build)"
  npm run build --silent 2>&1 | grep -v 'Unknown user config' >&2
  [ "${PIPESTATUS[0]}" -eq 0 ] || { log "build failed: fix the type errors above (notebooks would run stale code)"; exit 1; }
fi
bash scripts/install-kernel.sh || exit 1

# Runs one notebook; saves the executed copy (atomically) whether a cell failed, the notebook timed
# out or the runner was stopped (SIGTERM/SIGINT): the partial copy keeps every output received.
# The kernel runs in its own session (jupyter_client starts it so); on any failure or stop its whole
# process group (tslab and the run workers it forked) is killed with SIGKILL, and its pgid is
# written to argv[5] so that run.sh can kill the group even if this runner is itself killed.
# Exit codes: 0 ok, 1 a cell failed, 124 the notebook timed out, 143 stopped by a signal.
runner=$(cat <<'PY'
import os, sys, time, signal, hashlib, datetime, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
src, dst, cell_timeout, nb_timeout, pgid_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=cell_timeout, kernel_name='tslab',
                        resources={'metadata': {'path': os.path.dirname(os.path.abspath(src))}})
started = time.monotonic()
deadline = started + nb_timeout
# The stamp `npx tsx notebooks/check.ts verify` checks: the SHA-256 of the code cells that ran (each + NUL).
code_sha256 = hashlib.sha256(b''.join(c.source.encode('utf-8') + b'\0' for c in nb.cells if c.cell_type == 'code')).hexdigest()
class Stop(Exception): pass
def on_signal(signum, frame): raise Stop(f'stopped by signal {signum}')
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
def kill_kernel_group():
    pgid = getattr(getattr(client.km, 'provisioner', None), 'pgid', None) if getattr(client, 'km', None) else None
    if pgid and pgid != os.getpgrp():
        try: os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError: pass
def report(index, cell, err):
    print(f'{src}: cell {index + 1} failed ({type(err).__name__})', file=sys.stderr)
    print('--- cell ---\n' + cell.source + '\n--- its output ---', file=sys.stderr)
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': print(o.get('text', ''), end='', file=sys.stderr)
        if o.get('output_type') == 'error': print(f"{o.get('ename')}: {o.get('evalue')}", file=sys.stderr)
    print(str(err)[-1000:], file=sys.stderr)
rc = 0
ran = 0
try:
    with client.setup_kernel():
        pgid = getattr(client.km.provisioner, 'pgid', None)
        if pgid:
            with open(pgid_file, 'w') as f: f.write(str(pgid))
        for index, cell in enumerate(nb.cells):
            left = deadline - time.monotonic()
            if left <= 0:
                rc = 124
                print(f'{src}: timed out after {nb_timeout}s, before cell {index + 1}', file=sys.stderr)
                break
            client.timeout = max(1, int(min(cell_timeout, left)))
            try:
                client.execute_cell(cell, index)
                # tslab replies without an execution count: number the code cells in the order they ran
                if cell.cell_type == 'code':
                    ran += 1
                    cell.execution_count = ran
            except CellTimeoutError as err:
                rc = 124 if time.monotonic() >= deadline - 1 else 1
                if rc == 124: print(f'{src}: timed out after {nb_timeout}s, in cell {index + 1}', file=sys.stderr)
                report(index, cell, err)
                break
            except (CellExecutionError, DeadKernelError) as err:
                rc = 1
                report(index, cell, err)
                break
        # a failed or timed-out kernel may still be busy (workers training): kill its group now rather
        # than wait on a graceful shutdown
        if rc: kill_kernel_group()
except Stop as err:
    rc = 143
    print(f'{src}: {err}; the partial executed copy is saved', file=sys.stderr)
finally:
    kill_kernel_group() # also after a clean run: nothing the kernel started outlives it
    nb.metadata['primed'] = {
        'source_sha256': code_sha256,
        'status': {0: 'ok', 1: 'failed', 124: 'timed out', 143: 'stopped'}.get(rc, f'exit {rc}'),
        'scale': os.environ.get('PRIMED_SCALE', 'mini'),
        'steps': os.environ.get('PRIMED_NOTEBOOK_STEPS', ''),
        'seconds': round(time.monotonic() - started),
        'executed': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
    }
    tmp = dst + '.tmp'
    nbformat.write(nb, tmp)
    os.replace(tmp, dst)
sys.exit(rc)
PY
)

mkdir -p "$out"
retries=${NOTEBOOK_RETRIES:-1}
failed=()
pgid_file=""
# Kills the process group of the kernel the runner started (pgid in $pgid_file), if it is still alive:
# a runner killed by the backstop cannot do it itself.
kill_kernel_group() {
  if [ -n "$pgid_file" ] && [ -s "$pgid_file" ]; then
    local pgid; pgid=$(cat "$pgid_file")
    [[ "$pgid" =~ ^[0-9]+$ ]] && [ "$pgid" != "$(ps -o pgid= $$ | tr -d ' ')" ] && kill -KILL -- "-$pgid" 2>/dev/null
    rm -f "$pgid_file"
  fi
  return 0
}
child=""
# On INT/TERM: the runner gets TERM (it saves the partial copy and kills the kernel's group), then the group is killed here too.
trap 'log "interrupted: saving the partial notebook and killing the kernel"; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; kill_kernel_group; exit 130' INT TERM
# Runs one notebook into $out (executed copy, HTML, log); returns the runner's exit code.
run_one() {
  local nb=$1 name=$2 rc
  pgid_file="$out/$name.kernel-pgid"
  rm -f "$pgid_file"
  # The runner keeps its own notebook deadline; `timeout` is only a backstop (TERM, which the runner
  # handles by saving, then KILL). All output goes to the log, stdin from /dev/null: neither the
  # runner nor the kernel it starts holds the caller's pipe (`npm run notebooks | tail` returns).
  timeout --kill-after=20 "$(( timeout_nb + 60 ))" "$PY" -c "$runner" "$nb" "$out/$name.ipynb" "$timeout_cell" "$timeout_nb" "$pgid_file" \
    </dev/null >"$out/$name.log" 2>&1 &
  child=$!
  wait "$child"; rc=$? # (in the background + wait, so that a TERM/INT to run.sh is handled at once)
  child=""
  kill_kernel_group
  if [ -f "$out/$name.ipynb" ]; then
    # HTML export to a temp name, then rename: readers never see a half-written file.
    if jupyter nbconvert --to html --output-dir="$out" --output="$name.tmp" "$out/$name.ipynb" </dev/null >>"$out/$name.log" 2>&1; then
      mv -f "$out/$name.tmp.html" "$out/$name.html"
    else
      log "$nb: HTML export failed (see $out/$name.log)"; rc=${rc/#0/1}
    fi
  fi
  return "$rc"
}
for nb in "${nbs[@]}"; do
  [ -f "$nb" ] || { log "$nb: no such notebook"; failed+=("$nb"); continue; }
  name=$(basename "$nb" .ipynb)
  log "run $nb (timeout ${timeout_nb}s)"
  t0=$(date +%s)
  run_one "$nb" "$name"; rc=$?
  attempt=1
  # a timeout is not retried: it would time out again
  while [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$attempt" -le "$retries" ]; do
    [ "$rc" -eq 124 ] && log "$nb: timed out after ${timeout_nb}s"
    log "$nb FAILED on attempt $attempt (exit $rc); its log, kept as $out/$name.attempt$attempt.log:"
    grep -v '^\s*$' "$out/$name.log" | grep -v 'NbConvertApp' | tail -30 >&2
    mv -f "$out/$name.log" "$out/$name.attempt$attempt.log"
    attempt=$(( attempt + 1 ))
    log "retrying $nb (attempt $attempt)"
    run_one "$nb" "$name"; rc=$?
  done
  if [ "$rc" -eq 0 ]; then
    log "ok $nb ($(( $(date +%s) - t0 ))s)$([ "$attempt" -gt 1 ] && echo " on attempt $attempt") -> $out/$name.ipynb, $out/$name.html"
  else
    [ "$rc" -eq 124 ] && log "$nb: timed out after ${timeout_nb}s"
    log "$nb FAILED (exit $rc, $(( $(date +%s) - t0 ))s); from $out/$name.log:"
    grep -v '^\s*$' "$out/$name.log" | grep -v 'NbConvertApp' | tail -30 >&2
    failed+=("$nb")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then log "${#failed[@]} of ${#nbs[@]} notebook(s) failed: ${failed[*]}"; exit 1; fi
log "all ${#nbs[@]} notebook(s) ran"
