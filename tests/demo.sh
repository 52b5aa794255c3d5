#!/bin/bash
# tests/demo.sh — what `make demo` runs after `make deps all`: the main job, unattended.
# Builds recipes/nginx.yaml, boots it with a port forward, waits for "jeos: ready", fetches the
# page with curl and prints it, powers the guest off (ACPI) and checks it went down cleanly.
set -eu
cd "$(dirname "$0")/.."
O=${O:-out}
JEOS=$O/jeos
echo "==> $JEOS build recipes/nginx.yaml"
"$JEOS" build -o "$O" recipes/nginx.yaml
IMG=$O/nginx/nginx.qcow2
sed -n '/^sizes:/,/^$/p;/^time per stage:/,/^$/p' "$O/nginx/build-report.txt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$O/nginx/demo-console.log
echo "==> $JEOS run --port $PORT:80 $IMG   (console: $LOG)"
start=$(date +%s%N)
"$JEOS" run --port "$PORT:80" "$IMG" >"$LOG" 2>&1 </dev/null &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    grep -qa "jeos: ready" "$LOG" && break
    kill -0 $pid 2>/dev/null || { tail -20 "$LOG"; echo "demo: the guest stopped before it was ready"; exit 1; }
    sleep 0.2
done
grep -qa "jeos: ready" "$LOG" || { tail -20 "$LOG"; echo "demo: no \"jeos: ready\" within 120 s"; exit 1; }
tr -d '\r' <"$LOG" | grep -a '^jeos: ' | grep -v 'jeos run'
page=""
for _ in $(seq 1 50); do
    page=$(curl -sf --max-time 2 "http://127.0.0.1:$PORT/") && break
    sleep 0.2
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ -n "$page" ] || { tail -20 "$LOG"; echo "demo: no HTTP answer on port $PORT"; exit 1; }
echo "==> curl http://127.0.0.1:$PORT/   ($((ms / 1000)).$((ms % 1000 / 100)) s after QEMU started)"
echo "$page"
echo "==> power button (ACPI)"
kill -TERM $pid
rc=0
wait $pid || rc=$?
trap - EXIT
tr -d '\r' <"$LOG" | grep -a -E '^jeos: (filesystems|powering)'
if [ $rc -ne 0 ] || ! grep -qa "jeos: filesystems unmounted cleanly" "$LOG"; then
    tail -20 "$LOG"; echo "demo: the guest did not power off cleanly (jeos run exit $rc)"; exit 1
fi
echo "==> done: $O/nginx/ holds nginx.raw, nginx.qcow2, the recipe's other formats and build-report.txt"
