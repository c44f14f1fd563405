# Sourced by scripts/test after scripts/lib/cluster.sh: runs a test command with a bound on its
# time, so that a test that hangs fails the run and says what was still running, instead of
# using up CI's time in silence (a Swift test run hung so once, and CI's 90 minutes ran out).
#   run_bounded MINUTES LOG COMMAND…   runs COMMAND with its output shown and copied to LOG;
#                                      returns its status, or 124 after reporting a hang.

run_bounded() {
  local minutes=$1 log=$2
  shift 2
  "$@" > >(tee "$log") 2>&1 &
  local pid=$! waited=0 status=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((minutes * 60)) ]; then
      report_hang "$minutes" "$log" "$pid" "$*" >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 124
    fi
    sleep 1
    waited=$((waited + 1))
  done
  wait "$pid" || status=$?
  return "$status"
}

report_hang() {
  local minutes=$1 log=$2 pid=$3 command=$4
  echo
  echo "=== '$command' did not finish within $minutes minutes: what was still running ==="
  echo "--- tests that started and did not finish (from $log) ---"
  python3 - "$log" <<'EOF'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"(Test|Suite) (.+?) started\.", line)
    if m: started.append(m.group(1) + " " + m.group(2))
    m = re.search(r"(Test|Suite) (.+?) (passed|failed|skipped)", line)
    if m: ended.add(m.group(1) + " " + m.group(2))
for name in started:
    if name not in ended: print("  " + name)
EOF
  echo "--- its processes ---"
  ps -eo pid,ppid,etime,args --forest | grep -v "ps -eo" | awk -v root="$pid" '
    NR == 1 { print; next } { line[$1] = $0; parent[$1] = $2 }
    END { for (p in line) { q = p; while (q != "" && q != root && q != 1) q = parent[q]; if (q == root) print line[p] } }' | cut -c1-220
  echo "--- the test cluster's sessions ---"
  "$PG_BIN/psql" -qX -h "$CLUSTER_DIR" -p "$CLUSTER_PORT" -U postgres -d postgres -c "
    SELECT pid, datname, usename, state, wait_event_type || ':' || wait_event AS waiting,
           date_trunc('second', now() - xact_start) AS in_transaction, left(query, 100) AS query
    FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
    ORDER BY xact_start NULLS LAST" 2>&1 | head -60
  echo "--- locks waited for ---"
  "$PG_BIN/psql" -qX -h "$CLUSTER_DIR" -p "$CLUSTER_PORT" -U postgres -d postgres -c "
    SELECT pid, locktype, mode, pg_blocking_pids(pid) AS blocked_by FROM pg_locks WHERE NOT granted" 2>&1 | head -30
  echo "--- the end of the cluster's log ---"
  tail -n 30 "$CLUSTER_DIR/log" 2>&1
}
