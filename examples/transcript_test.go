package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A transcript is a run of shell commands and what each prints, as the
// documentation shows them: "$ command" lines, each followed by its
// output. The commands of one transcript run in one bash, one after the
// other, so a function or variable defined by one is there for the next.
type transcript struct {
	where   string // the file and line it was read from, for messages
	example string // the folder under examples/ it talks to
	env     []string
	steps   []step
}

type step struct {
	command string
	output  []string // the lines the documentation shows
}

// startLine is how the documentation starts an example: optional
// environment assignments, then go run, then the port.
var startLine = regexp.MustCompile(`^((?:[A-Z_]+=\S+ )*)go run \./examples/(\w+) 8080$`)

// readmeMarker names the example a README transcript talks to, on the
// line before its code fence: <!-- transcript: count -->. Transcripts with
// the same marker run one after another against one server.
var readmeMarker = regexp.MustCompile(`^<!-- transcript: (\w+)((?: [A-Z_]+=\S+)*) -->$`)

// parseSteps reads "$ " commands and their output from lines.
func parseSteps(lines []string) []step {
	var steps []step
	for _, l := range lines {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, step{command: cmd})
		} else if len(steps) > 0 {
			steps[len(steps)-1].output = append(steps[len(steps)-1].output, l)
		}
	}
	return steps
}

// docTranscripts reads the transcripts of the package comment of
// examples/NAME/main.go: its tab-indented blocks that hold "$ " lines,
// talking to the example started by the block that holds its go run line.
func docTranscripts(t *testing.T, name string) []transcript {
	t.Helper()
	file := filepath.Join(name, "main.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		return nil
	}
	var out []transcript
	var env []string
	var block []string
	flush := func() {
		defer func() { block = nil }()
		if len(block) == 1 {
			if m := startLine.FindStringSubmatch(block[0]); m != nil && m[2] == name {
				env = strings.Fields(m[1])
			}
		}
		if steps := parseSteps(block); len(steps) > 0 {
			out = append(out, transcript{where: file + " (package comment)", example: name, env: env, steps: steps})
		}
	}
	for l := range strings.SplitSeq(f.Doc.Text(), "\n") {
		if rest, ok := strings.CutPrefix(l, "\t"); ok {
			block = append(block, rest)
			continue
		}
		flush()
	}
	flush()
	return out
}

// readmeTranscripts reads the README's code blocks that hold "$ " lines;
// each must follow a transcript marker, so that none goes untested.
func readmeTranscripts(t *testing.T) []transcript {
	t.Helper()
	src, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []transcript
	lines := strings.Split(string(src), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		start := i
		var block []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			block = append(block, lines[i])
		}
		steps := parseSteps(block)
		if len(steps) == 0 {
			continue
		}
		where := fmt.Sprintf("README.md:%d", start+1)
		var m []string
		if start > 0 {
			m = readmeMarker.FindStringSubmatch(lines[start-1])
		}
		if m == nil {
			t.Errorf("%s: a transcript without a <!-- transcript: EXAMPLE --> line before it, so no test runs it", where)
			continue
		}
		out = append(out, transcript{where: where, example: m[1], env: strings.Fields(m[2]), steps: steps})
	}
	return out
}

// normalize blanks out what differs from run to run: session ids (with
// their signatures), store keys, dates, and the Date header. Everything
// else must be as the documentation says.
func normalize(s string) string {
	for _, r := range normalizers {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^Date: .*$`), "Date: <date>"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.[A-Za-z0-9_-]{43})?`), "<id>"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "<key>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<date>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4}`), "<date>"},
	{regexp.MustCompile(`"exp":\d+`), `"exp":<date>`},
}

func TestTranscripts(t *testing.T) {
	for _, tool := range []string{"curl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the transcript tests run the documentation's commands with %s: install it (apt-get install curl bash)", tool)
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the transcript tests build the examples with the go command, which is not on PATH")
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]transcript{} // one server per group
	var order []string
	add := func(key string, tr transcript) {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], tr)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		for i, tr := range docTranscripts(t, e.Name()) {
			add(fmt.Sprintf("%s/main.go#%d", e.Name(), i), tr)
		}
	}
	for _, tr := range readmeTranscripts(t) {
		add("README.md "+tr.example, tr)
	}
	bin := t.TempDir()
	built := map[string]string{}
	for _, key := range order {
		trs := groups[key]
		t.Run(key, func(t *testing.T) {
			name := trs[0].example
			if built[name] == "" {
				out := filepath.Join(bin, name)
				cmd := exec.Command(goTool, "build", "-o", out, "./"+name)
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build ./examples/%s: %v\n%s", name, err, msg)
				}
				built[name] = out
			}
			runGroup(t, built[name], trs)
		})
	}
}

// cleanEnv is the environment the example and the commands run in: this
// process's, without the settings the examples read, so that only what
// the documentation sets is set.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PORT", k == "SECRET_KEY", k == "SECRET_KEY_FALLBACKS", k == "COOKIE_MAX_AGE", k == "SESSIONS",
			strings.HasPrefix(k, "SESSION_"), strings.HasPrefix(k, "LOGIN_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// runGroup starts the example in an empty folder, as the documentation's
// go run line does, runs the transcripts there and compares each output.
func runGroup(t *testing.T, bin string, trs []transcript) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a guard against a hang, not a speed test
	defer cancel()
	server := exec.CommandContext(ctx, "bash", "-c", strings.Join(trs[0].env, " ")+` exec "$0" 127.0.0.1:0`, bin)
	server.Dir, server.Env = dir, cleanEnv()
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serverLog bytes.Buffer
	server.Stderr = &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		server.Process.Signal(os.Interrupt)
		server.Wait()
		if t.Failed() {
			t.Logf("the example's log:\n%s", serverLog.String())
		}
	}()
	// Run prints the URL it serves once it listens.
	first, err := bufio.NewReader(stdout).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(first), "http://")
	if err != nil || !ok {
		t.Fatalf("the example did not start: %q %v", first, err)
	}
	addr := strings.TrimSuffix(base, "/")

	var script strings.Builder
	var all []step
	for _, tr := range trs {
		for _, s := range tr.steps {
			cmd := strings.ReplaceAll(s.command, "127.0.0.1:8080", addr)
			// \036 and \037 (record and unit separators) mark where each
			// output begins; the commands never print them.
			fmt.Fprintf(&script, "printf '\\036%%s\\037' %d\n%s\n", len(all), cmd)
			all = append(all, s)
		}
	}
	fmt.Fprintf(&script, "printf '\\036end\\037'\n")
	sh := exec.CommandContext(ctx, "bash", "--norc", "--noprofile")
	sh.Dir, sh.Env = dir, cleanEnv()
	sh.Stdin = strings.NewReader(script.String())
	// Only standard output is compared: in a terminal curl draws no
	// progress meter, which it writes to standard error when its output
	// is a pipe. Standard error is shown when a step fails.
	var stderr bytes.Buffer
	sh.Stderr = &stderr
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("the transcript's shell: %v\n%s\n%s", err, out, stderr.String())
	}
	got := map[string]string{}
	for part := range strings.SplitSeq(string(out), "\x1e") {
		if n, output, ok := strings.Cut(part, "\x1f"); ok {
			got[n] = output
		}
	}
	defer func() {
		if t.Failed() {
			t.Logf("the commands' standard error:\n%s", stderr.String())
		}
	}()
	if _, ok := got["end"]; !ok {
		t.Fatalf("the shell stopped before the end:\n%s", out)
	}
	for i, s := range all {
		actual := strings.ReplaceAll(got[fmt.Sprint(i)], "\r", "")
		actual = strings.ReplaceAll(actual, addr, "127.0.0.1:8080")
		want := ""
		if len(s.output) > 0 {
			// A prompt follows every output, on a line of its own.
			want = strings.Join(s.output, "\n") + "\n"
		}
		if normalize(actual) != normalize(want) {
			t.Errorf("%s: $ %s\nprints:\n%s\nthe documentation says:\n%s", whereOf(trs, s), s.command, show(actual), show(want))
		}
	}
}

// whereOf names the transcript a step comes from.
func whereOf(trs []transcript, s step) string {
	for _, tr := range trs {
		for _, x := range tr.steps {
			if x.command == s.command {
				return tr.where
			}
		}
	}
	return trs[0].where
}

// show makes a missing final newline visible.
func show(s string) string {
	if s == "" {
		return "(nothing)"
	}
	if !strings.HasSuffix(s, "\n") {
		return s + "⏎ (no newline at the end: the prompt would follow on this line)\n"
	}
	return s
}
