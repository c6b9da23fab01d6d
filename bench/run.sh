#!/usr/bin/env bash
# The benchmark matrix of issue 6, in one command:
#
#   bench/run.sh            the full run: 3 rounds of the load matrix, 5 s
#                           per cell (the median is reported), growth to 1M
#                           sessions; rewrites the generated part of
#                           ../BENCHMARKS.md and bench/results/full*
#   bench/run.sh --smoke    1 round, 2 s per cell, growth to 10k; writes
#                           bench/results/smoke* only (BENCH_SMOKE=1 too)
#
# Options:
#   --variants a,b,...      only these rows (the bare handler is always run,
#                           since every ratio is to it); with a full run the
#                           tables are rewritten with these rows only, so
#                           use it with --smoke for a quick comparison
#   --duration 5s           time per load cell
#   --rounds 3              rounds of the load matrix; a round runs every
#                           row once, so drift on a busy machine spreads
#                           over all rows alike
#   --sizes 1000,100000,... growth sizes
#   --no-load --no-inproc --no-growth   skip a part
#   --profile VARIANT SCENARIO [SECONDS]  serve VARIANT with net/http/pprof,
#                           put SCENARIO (one, many, new) on it for SECONDS
#                           (default 20) and write the CPU profile and its top
#                           entries to bench/results/
#
# Databases: TEST_POSTGRES_DSN, TEST_MYSQL_DSN and TEST_REDIS_ADDR name them;
# a row whose variable is unset is skipped with a note. The load driver is
# wrk (Debian's package), installed with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")"
BENCH="$(pwd)"

smoke=${BENCH_SMOKE:-0}
only=""
duration=""
rounds=""
sizes=""
do_load=1 do_inproc=1 do_growth=1
profile=()
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1 ;;
	--full) smoke=0 ;;
	--variants) only="$2"; shift ;;
	--duration) duration="$2"; shift ;;
	--rounds) rounds="$2"; shift ;;
	--sizes) sizes="$2"; shift ;;
	--no-load) do_load=0 ;;
	--no-inproc) do_inproc=0 ;;
	--no-growth) do_growth=0 ;;
	--profile)
		profile=("$2" "$3" 20)
		shift 2
		if [ $# -gt 1 ] && [[ "$2" =~ ^[0-9]+$ ]]; then
			profile[2]=$2
			shift
		fi
		;;
	-h | --help) sed -n '2,/^set -euo/p' "$BENCH/run.sh" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ "$smoke" = 1 ]; then
	mode=smoke
	duration=${duration:-2s}
	rounds=${rounds:-1}
	sizes=${sizes:-1000,10000}
	benchtime=200ms count=1
else
	mode=full
	duration=${duration:-5s}
	rounds=${rounds:-3}
	sizes=${sizes:-1000,100000,1000000}
	benchtime=1s count=3
fi

say() { printf '== %s\n' "$*" >&2; }

# wrk, from Debian's packages.
if ! command -v wrk >/dev/null; then
	say "installing wrk"
	(apt-get update -qq && apt-get install -y -qq wrk) >&2
fi

say "building"
bin="$BENCH/.bin"
mkdir -p "$bin" results
go build -o "$bin/" ./cmd/countserver ./cmd/probe ./cmd/growth ./cmd/report

port=${BENCH_PORT:-18181}
addr="127.0.0.1:$port"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-run-XXXXXX")
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

start_server() { # variant [extra flags]
	local v=$1
	shift
	rm -rf "$work/store" && mkdir -p "$work/store"
	"$bin/countserver" -variant "$v" -addr "$addr" -dir "$work/store" "$@" 2>>"$work/server.log" &
	server_pid=$!
	"$bin/probe" wait "$addr"
}
stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# run_wrk DURATION [env assignments...]: prints wrk's RESULT line.
run_wrk() {
	local d=$1
	shift
	env "$@" wrk -t2 -c16 -d"$d" --timeout 10s -s "$BENCH/wrk/count.lua" "http://$addr/count" >"$work/wrk.out" 2>&1 || {
		cat "$work/wrk.out" >&2
		return 1
	}
	grep '^RESULT ' "$work/wrk.out" | sed 's/^RESULT //'
}

# scenario VARIANT SCENARIO: sets $result to the TSV fields of one cell.
scenario() {
	local v=$1 sc=$2 r
	case "$sc" in
	one)
		"$bin/probe" cookies "$addr" 1 "$work/one.txt"
		local ck s0 s1 final
		ck=$(cat "$work/one.txt")
		s0=$("$bin/probe" stats "$addr")
		r=$(run_wrk "$duration" COOKIE="$ck")
		s1=$("$bin/probe" stats "$addr")
		final=$("$bin/probe" count "$addr" "$ck" || echo -1)
		result="$r completed=$((s1 - s0)) final=$final"
		;;
	many)
		"$bin/probe" cookies "$addr" 1000 "$work/many.txt"
		r=$(run_wrk "$duration" COOKIE_FILE="$work/many.txt")
		result="$r"
		;;
	new)
		r=$(run_wrk "$duration")
		result="$r"
		;;
	esac
}

if [ ${#profile[@]} -gt 0 ]; then
	v=${profile[0]} sc=${profile[1]} secs=${profile[2]}
	say "profiling $v under the $sc scenario for ${secs}s"
	start_server "$v" -pprof 127.0.0.1:$((port + 1))
	duration="$((secs + 3))s"
	out="results/profile-$v-$sc"
	(sleep 1 && curl -s -o "$out.pprof" "http://127.0.0.1:$((port + 1))/debug/pprof/profile?seconds=$secs") &
	curl_pid=$!
	scenario "$v" "$sc"
	wait "$curl_pid"
	stop_server
	go tool pprof -top -nodecount=40 "$bin/countserver" "$out.pprof" >"$out.txt" 2>/dev/null
	say "wrk: $result"
	say "profile in $out.pprof; top entries in $out.txt"
	head -n 50 "$out.txt"
	exit 0
fi

# The machine, for the report.
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "mode=$mode"
	echo "duration=$duration"
	echo "rounds=$rounds"
	echo "sizes=$sizes"
	echo "benchtime=$benchtime x $count"
	echo "nproc=$(nproc)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
	echo "go=$(go version | sed 's/^go version //')"
	echo "kernel=$(uname -sr)"
	echo "wrk=$(wrk --version 2>&1 | head -n1 | awk '{print $2}')"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit=$(git -C .. rev-parse --short HEAD)$(git -C .. diff --quiet HEAD -- . ':!bench' ':!BENCHMARKS.md' 2>/dev/null || echo ' + uncommitted changes')"
	echo "command=bench/run.sh$([ "$mode" = smoke ] && echo ' --smoke')"
	# Which run each part's figures come from: this one, or, for a part
	# skipped with --no-*, the run recorded before.
	here="$(git -C .. rev-parse --short HEAD) on $(date -u '+%Y-%m-%d %H:%M UTC')"
	for part in load inproc growth; do
		eval "ran=\$do_$part"
		if [ "$ran" = 1 ]; then
			echo "part_$part=$here"
		else
			grep -m1 "^part_$part=" "results/$mode-meta.txt" 2>/dev/null || true
		fi
	done
} >"$work/meta.txt"

# Raw results go straight to bench/results/, so a run that stops half-way
# still leaves what it measured, and a part skipped with --no-* keeps the
# figures of the run before.
raw="results/$mode"
load_tsv="$raw-load.tsv"
if [ "$do_load" = 1 ]; then
	: >"$load_tsv"
	"$bin/countserver" -list >"$work/variants.txt"
	for round in $(seq "$rounds"); do
		say "round $round of $rounds"
		while IFS=$'\t' read -r v group skip desc; do
			if [ -n "$only" ] && [ "$v" != bare ] && [[ ",$only," != *",$v,"* ]]; then
				continue
			fi
			if [ "$skip" != - ]; then
				say "$v: skipped ($skip)"
				[ "$round" = 1 ] && printf '%s\t%s\t-\tskip=%s\n' "$v" "$group" "$skip" >>"$load_tsv"
				continue
			fi
			say "$v: $desc"
			if ! start_server "$v"; then
				say "$v: the server did not start"; tail -n 5 "$work/server.log" >&2
				printf '%s\t%s\t-\tskip=the server did not start\n' "$v" "$group" >>"$load_tsv"
				stop_server
				continue
			fi
			for sc in one many new; do
				if scenario "$v" "$sc"; then
					say "  $sc: $result"
					printf '%s\t%s\t%s\t%s\n' "$v" "$group" "$sc" "$result" >>"$load_tsv"
				else
					say "  $sc: failed"
					printf '%s\t%s\t%s\tskip=failed\n' "$v" "$group" "$sc" >>"$load_tsv"
				fi
			done
			stop_server
		done <"$work/variants.txt"
	done
fi

inproc="$raw-inproc.txt"
if [ "$do_inproc" = 1 ]; then
	: >"$inproc"
	say "in-process benchmarks (go test -bench, benchtime $benchtime, count $count)"
	go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count "$count" . 2>&1 | tee "$inproc" >&2 ||
		say "the in-process benchmarks failed; the report goes on without what they did not measure"
fi

growth="$raw-growth.tsv"
if [ "$do_growth" = 1 ]; then
	: >"$growth"
	say "growth: sizes $sizes"
	"$bin/growth" -sizes "$sizes" -dir "$work" -out "$growth" ||
		say "growth failed; the report goes on without what it did not measure"
fi

say "report"
cp "$work/meta.txt" "$raw-meta.txt"
"$bin/report" -meta "$raw-meta.txt" -load "$load_tsv" -inproc "$inproc" -growth "$growth" >"results/$mode.md"
if [ "$mode" = full ]; then
	"$bin/report" -splice ../BENCHMARKS.md <"results/$mode.md"
	say "wrote bench/results/$mode.md and the generated part of BENCHMARKS.md"
else
	say "wrote bench/results/$mode.md"
fi
