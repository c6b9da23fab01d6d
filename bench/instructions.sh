#!/usr/bin/env bash
# instructions.sh OLD NEW [BENCHMARK...]: instructions per operation of
# in-process benchmarks of bench/ (by default count and new visitor on
# MemoryStore, CookieStore and DiskStore) at two commits, counted by
# valgrind's callgrind.
# Instruction counts do not depend on what else the machine is doing, so
# an A/B on a busy 2-core machine still says whether a change made the hot
# path longer. Each benchmark runs at 500 and 2500 iterations; the
# difference divided by 2000 cancels the start-up.
set -euo pipefail
cd "$(dirname "$0")"
usage="usage: instructions.sh OLD NEW [BENCHMARK...], such as Count/ours-mem"
old=${1:?$usage} new=${2:?$usage}
shift 2
benches=${*:-Count/ours-mem Count/ours-cookie Count/ours-cookie-aes Count/ours-disk NewVisitor/ours-mem NewVisitor/ours-cookie NewVisitor/ours-cookie-aes NewVisitor/ours-disk}
command -v valgrind >/dev/null || { echo "instructions.sh needs valgrind (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d)
trap 'git -C .. worktree remove --force "$work/old" >/dev/null 2>&1 || true; git -C .. worktree remove --force "$work/new" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for side in old new; do
	rev=${!side}
	git -C .. worktree add --detach "$work/$side" "$rev" >/dev/null 2>&1
	(cd "$work/$side/bench" && go test -c -o "$work/$side.test" .)
done
count() { # binary benchmark iterations -> instructions
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$1" -test.run '^$' -test.bench "^Benchmark$2\$" -test.benchtime "$3x" 2>&1 | sed -n 's/.*Collected : //p'
}
per() { echo $(( ($(count "$1" "$2" 2500) - $(count "$1" "$2" 500)) / 2000 )); }
printf '%-28s %12s %12s %7s\n' benchmark "${old:0:12}" "${new:0:12}" ratio
for bench in $benches; do
	a=$(per "$work/old.test" "$bench") b=$(per "$work/new.test" "$bench")
	printf '%-28s %12d %12d %6.3fx\n' "$bench" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done
