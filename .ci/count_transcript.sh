#!/usr/bin/env bash
# End-to-end check of examples/count with real curl and a cookie jar file,
# as the web.py docs teach sessions. Usage: .ci/count_transcript.sh [STORE]
# where STORE is passed to the example as SESSION_STORE (empty: DiskStore).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
bin="$work/count"
(cd "$repo" && go build -o "$bin" ./examples/count)
mkdir "$work/run"
cd "$work/run"
export SESSION_STORE="${1:-}"
unset SECRET_KEY PORT
"$bin" 127.0.0.1:0 >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do grep -q '^http://' "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -m1 '^http://' "$work/out" | sed 's#/$##')
[ -n "$base" ] || { echo "count did not start:"; cat "$work/log"; exit 1; }

fail() { echo "FAIL: $*"; echo "--- server log"; cat "$work/log"; exit 1; }
step() { # step PATH WANT [curl args...]
	local path=$1 want=$2; shift 2
	local got
	got=$(curl -sS "$@" "$base$path")
	echo "\$ curl $* $path -> $got"
	[ "$got" = "$want" ] || fail "$path gave '$got', want '$want'"
}
jar=cookie.txt
step /count 1 -c $jar -b $jar
old=$(awk '$6=="sid"{print $7}' $jar)
[ -n "$old" ] || fail "no sid cookie in the jar"
step /count 2 -c $jar -b $jar
step /count 3 -c $jar -b $jar
step /reset Reset -c $jar -b $jar
grep -q sid $jar && fail "the jar still holds the cookie after /reset"
step /count 1 -c $jar -b $jar
live=$(awk '$6=="sid"{print $7}' $jar)

# The old cookie, replayed after /reset, gets a fresh session: 1.
step /count 1 -H "Cookie: sid=$old"

# A forged cookie never reaches another session: changing the id under a
# valid signature, or the signature, gives 400 Bad Cookie and clears it.
forged="00000000-0000-4000-8000-000000000000${live:36}"
code=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' -H "Cookie: sid=$forged" "$base/count")
[ "$code" = 400 ] && grep -q 'Bad Cookie' "$work/body" || fail "forged id: $code $(cat "$work/body")"
grep -qi '^set-cookie: sid=;.*Max-Age=0' "$work/headers" || fail "the forged cookie was not cleared"
for bad in '../../../etc/passwd' 'not-a-session!!' "${live%?}x" "$(printf 'a%.0s' $(seq 500))"; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sid=$bad" "$base/count")
	[ "$code" = 400 ] || fail "cookie '$bad' gave $code, want 400"
done
echo "forged and garbage cookies: 400 Bad Cookie"
step /count 2 -c $jar -b $jar   # the live session was not touched by any of them

case "$SESSION_STORE" in
sqlite*)
	# Everything is in the database, the generated key included.
	extra=$(ls -A | grep -v -x -e 'sessions.db' -e 'sessions.db-wal' -e 'sessions.db-shm' -e cookie.txt || true)
	[ -z "$extra" ] || fail "files written beside sessions.db: $extra"
	echo "files: $(ls -A | tr '\n' ' ')"
	;;
esac
if [ -z "$SESSION_STORE" ]; then
	# Nothing is written outside ./sessions (the jar is curl's own).
	extra=$(ls -A | grep -v -x -e sessions -e cookie.txt || true)
	[ -z "$extra" ] || fail "files written outside ./sessions: $extra"
	n=$(ls sessions | grep -c -E '^[0-9a-f]{64}$' || true)
	# The jar's session and the one the replayed cookie started; no file
	# for the killed session nor for any forged cookie.
	[ "$n" = 2 ] || fail "sessions/ holds $n sessions, want 2: $(ls -A sessions)"
	[ "$(stat -c %a sessions)" = 700 ] || fail "sessions/ is not 0700"
	[ "$(stat -c %a sessions/secret.key)" = 600 ] || fail "secret.key is not 0600"
	echo "sessions/: $(ls -A sessions | tr '\n' ' ')"
fi
echo "count transcript OK (${SESSION_STORE:-diskstore})"
