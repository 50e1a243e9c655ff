// The launcher: the entrypoint of an image whose start command needs more than an argv and
// less than a shell. It reads the command as the user wrote it (one argument), and:
//   - expands $VAR, ${VAR}, ${VAR:-default} and ${VAR-default} (unquoted expansions are split
//     into words as a shell splits them; quoted ones are not);
//   - applies VAR=value prefixes to the one command they precede;
//   - runs &&-joined steps in order, stopping at the first that fails (its exit code);
//   - honours `cd DIR` (for the steps after it) and `exec` (a no-op: the last step is always
//     exec'd, so signals reach the app itself and it replaces the launcher as the process);
//   - runs `echo` itself (a shell builtin; the images have no coreutils).
// Arguments after the command are appended to the last step, as `docker run IMAGE ARGS` does.
// Anything else a shell would do (pipes, redirections, `;`, `||`, globs, subshells) is refused
// with exit 126: pack-it gives such commands to a real shell instead, so this is never reached
// from an image pack-it built. `--explain` prints what would run, one step a line, and runs
// nothing (the Python side's parser is tested against it).
//
// Only the syscall and os/signal packages: the binary stays small and static.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

type segment struct {
	text   string
	quoted bool // inside quotes: an expansion here is never split into words
	name   string
	op     string // "" (plain $NAME / ${NAME}), ":-" or "-"
	isVar  bool
}

type word []segment

type step struct {
	assigns []assign
	argv    []word
}

type assign struct {
	name  string
	value word
}

type parseError string

func (e parseError) Error() string { return string(e) }

func isNameStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isNameChar(c byte) bool  { return isNameStart(c) || (c >= '0' && c <= '9') }

// needsShell names what a shell would do with the byte at the start of s, outside quotes.
func shellOnly(c byte) string {
	switch c {
	case '|', ';', '&', '<', '>', '(', ')', '`', '*', '?', '[', '#', '~', '{', '}', '\n':
		return string(c)
	}
	return ""
}

// parse splits the command into steps; the same grammar as pack_it/lifecycle/launch/command.py.
func parse(s string) ([]step, error) {
	var steps []step
	var cur []word
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '&' && i+1 < len(s) && s[i+1] == '&' {
			if len(cur) == 0 {
				return nil, parseError("&& with no command before it")
			}
			steps = append(steps, step{argv: cur})
			cur = nil
			i += 2
			continue
		}
		w, next, err := parseWord(s, i)
		if err != nil {
			return nil, err
		}
		cur = append(cur, w)
		i = next
	}
	if len(cur) == 0 {
		if len(steps) == 0 {
			return nil, parseError("no command")
		}
		return nil, parseError("&& with no command after it")
	}
	steps = append(steps, step{argv: cur})
	for n := range steps {
		if err := splitAssignments(&steps[n], n == len(steps)-1); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

func literal(w word) (string, bool) {
	out := ""
	for _, seg := range w {
		if seg.isVar {
			return "", false
		}
		out += seg.text
	}
	return out, true
}

// splitAssignments moves leading NAME=value words (NAME unquoted) into the step's assignments.
func splitAssignments(st *step, last bool) error {
	for len(st.argv) > 0 {
		first := st.argv[0]
		if len(first) == 0 || first[0].isVar || first[0].quoted {
			break
		}
		t := first[0].text
		eq := -1
		for k := 0; k < len(t); k++ {
			if t[k] == '=' {
				eq = k
				break
			}
			if !(isNameChar(t[k]) && (k > 0 || isNameStart(t[k]))) {
				break
			}
		}
		if eq <= 0 {
			break
		}
		value := append(word{{text: t[eq+1:]}}, first[1:]...)
		st.assigns = append(st.assigns, assign{t[:eq], value})
		st.argv = st.argv[1:]
	}
	if len(st.argv) == 0 {
		return parseError("an assignment with no command (a shell variable)")
	}
	if name, ok := literal(st.argv[0]); ok {
		switch name {
		case "exec":
			if !last {
				return parseError("exec before the last step")
			}
			st.argv = st.argv[1:]
			if len(st.argv) == 0 {
				return parseError("exec with no command")
			}
		case "cd":
			if len(st.argv) != 2 || len(st.assigns) > 0 {
				return parseError("cd takes one directory")
			}
		}
	}
	return nil
}

func parseWord(s string, i int) (word, int, error) {
	var w word
	text := ""
	flush := func(quoted bool) {
		if text != "" {
			w = append(w, segment{text: text, quoted: quoted})
			text = ""
		}
	}
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' {
			break
		}
		if c == '&' && i+1 < len(s) && s[i+1] == '&' {
			break
		}
		switch {
		case c == '\\':
			if i+1 >= len(s) || s[i+1] == '\n' {
				return nil, 0, parseError("a backslash at the end of a line")
			}
			text += string(s[i+1])
			i += 2
		case c == '\'':
			flush(false)
			end := i + 1
			for end < len(s) && s[end] != '\'' {
				end++
			}
			if end >= len(s) {
				return nil, 0, parseError("an unclosed single quote")
			}
			w = append(w, segment{text: s[i+1 : end], quoted: true})
			if end == i+1 {
				w = append(w, segment{text: "", quoted: true}) // '' is an empty word, not nothing
			}
			i = end + 1
		case c == '"':
			flush(false)
			i++
			empty := true
			for {
				if i >= len(s) {
					return nil, 0, parseError("an unclosed double quote")
				}
				d := s[i]
				if d == '"' {
					i++
					break
				}
				empty = false
				if d == '\\' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '`' || s[i+1] == '"' || s[i+1] == '\\') {
					text += string(s[i+1])
					i += 2
					continue
				}
				if d == '`' {
					return nil, 0, parseError("`")
				}
				if d == '$' {
					flush(true)
					seg, next, err := parseVar(s, i, true)
					if err != nil {
						return nil, 0, err
					}
					w = append(w, seg)
					i = next
					continue
				}
				text += string(d)
				i++
			}
			flush(true)
			if empty {
				w = append(w, segment{text: "", quoted: true})
			}
		case c == '$':
			flush(false)
			seg, next, err := parseVar(s, i, false)
			if err != nil {
				return nil, 0, err
			}
			w = append(w, seg)
			i = next
		default:
			if op := shellOnly(c); op != "" && !(c == '#' && text != "") && !(c == '~' && (text != "" || len(w) > 0)) {
				return nil, 0, parseError(op)
			}
			text += string(c)
			i++
		}
	}
	flush(false)
	return w, i, nil
}

// parseVar reads $NAME, ${NAME}, ${NAME:-default} or ${NAME-default} at s[i] == '$'.
func parseVar(s string, i int, quoted bool) (segment, int, error) {
	j := i + 1
	if j < len(s) && s[j] == '{' {
		j++
		start := j
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		if j == start || !isNameStart(s[start]) {
			return segment{}, 0, parseError("${...} that is not a variable name")
		}
		seg := segment{name: s[start:j], quoted: quoted, isVar: true}
		if j < len(s) && s[j] == '}' {
			return seg, j + 1, nil
		}
		if j+1 < len(s) && s[j] == ':' && s[j+1] == '-' {
			seg.op = ":-"
			j += 2
		} else if j < len(s) && s[j] == '-' {
			seg.op = "-"
			j++
		} else {
			return segment{}, 0, parseError("a ${...} form other than ${NAME:-default}")
		}
		start = j
		for j < len(s) && s[j] != '}' {
			if c := s[j]; c == '$' || c == '`' || c == '\\' || c == '\'' || c == '"' || c == '{' {
				return segment{}, 0, parseError("a default value with quotes or expansions")
			}
			j++
		}
		if j >= len(s) {
			return segment{}, 0, parseError("an unclosed ${")
		}
		seg.text = s[start:j]
		return seg, j + 1, nil
	}
	start := j
	for j < len(s) && isNameChar(s[j]) {
		j++
	}
	if j == start || !isNameStart(s[start]) {
		return segment{}, 0, parseError("$ not followed by a variable name")
	}
	return segment{name: s[start:j], quoted: quoted, isVar: true}, j, nil
}

// expand turns a word into the arguments it stands for: unquoted expansions are split at
// spaces, tabs and newlines, and a word made only of unquoted expansions that are empty is gone.
func expand(w word, env map[string]string, split bool) []string {
	var out []string
	cur, have := "", false
	for _, seg := range w {
		if !seg.isVar {
			cur += seg.text
			have = true
			continue
		}
		value, set := env[seg.name]
		if (seg.op == ":-" && value == "") || (seg.op == "-" && !set) {
			value = seg.text
		}
		if seg.quoted || !split {
			cur += value
			have = true
			continue
		}
		for k := 0; k < len(value); k++ {
			c := value[k]
			if c == ' ' || c == '\t' || c == '\n' {
				if have {
					out = append(out, cur)
				}
				cur, have = "", false
				continue
			}
			cur += string(c)
			have = true
		}
	}
	if have {
		out = append(out, cur)
	}
	return out
}

func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range syscall.Environ() {
		for k := 0; k < len(kv); k++ {
			if kv[k] == '=' {
				env[kv[:k]] = kv[k+1:]
				break
			}
		}
	}
	return env
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func lookPath(name string, env map[string]string) string {
	for k := 0; k < len(name); k++ {
		if name[k] == '/' {
			return name
		}
	}
	path := env["PATH"]
	start := 0
	for k := 0; k <= len(path); k++ {
		if k == len(path) || path[k] == ':' {
			dir := path[start:k]
			start = k + 1
			if dir == "" {
				dir = "."
			}
			candidate := dir + "/" + name
			var st syscall.Stat_t
			if syscall.Stat(candidate, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG && st.Mode&0o111 != 0 {
				return candidate
			}
		}
	}
	return ""
}

func fail(code int, parts ...string) {
	msg := "pack-it launcher:"
	for _, p := range parts {
		msg += " " + p
	}
	os.Stderr.WriteString(msg + "\n")
	os.Exit(code)
}

func quote(s string) string {
	safe := s != ""
	for k := 0; k < len(s); k++ {
		c := s[k]
		if !(isNameChar(c) || c == '/' || c == '.' || c == '-' || c == ':' || c == '=' || c == ',' || c == '@' || c == '+' || c == '%') {
			safe = false
		}
	}
	if safe {
		return s
	}
	out := "'"
	for k := 0; k < len(s); k++ {
		if s[k] == '\'' {
			out += `'"'"'`
		} else {
			out += string(s[k])
		}
	}
	return out + "'"
}

func main() {
	args := os.Args[1:]
	explain := len(args) > 0 && args[0] == "--explain"
	if explain {
		args = args[1:]
	}
	if len(args) == 0 {
		fail(2, "usage: launcher [--explain] COMMAND [ARG...]")
	}
	steps, err := parse(args[0])
	if err != nil {
		fail(126, "cannot run", quote(args[0])+":", err.Error(), "(this command needs a shell)")
	}
	extra := args[1:]
	env := environ()
	for n, st := range steps {
		last := n == len(steps)-1
		stepEnv := env
		if len(st.assigns) > 0 {
			stepEnv = map[string]string{}
			for k, v := range env {
				stepEnv[k] = v
			}
			for _, a := range st.assigns {
				// Each value is expanded before the next is assigned, as a shell does.
				stepEnv[a.name] = joinWords(expand(a.value, stepEnv, false))
			}
		}
		var argv []string
		for _, w := range st.argv {
			argv = append(argv, expand(w, env, true)...)
		}
		if last {
			argv = append(argv, extra...)
		}
		if len(argv) == 0 {
			fail(127, "step", quote(args[0]), "expands to no command")
		}
		if explain {
			line := "run"
			if last {
				line = "exec"
			}
			if argv[0] == "cd" && len(st.argv) == 2 {
				line = "cd"
				argv = argv[1:]
			} else {
				for _, a := range st.assigns {
					line += " " + a.name + "=" + quote(stepEnv[a.name])
				}
			}
			for _, a := range argv {
				line += " " + quote(a)
			}
			os.Stdout.WriteString(line + "\n")
			if line[:2] == "cd" && len(argv) == 1 {
				env["PWD"] = argv[0]
			}
			continue
		}
		if argv[0] == "cd" && len(st.argv) == 2 {
			if len(argv) != 2 {
				fail(1, "cd: expected one directory, got", quote(joinWords(argv[1:])))
			}
			if err := syscall.Chdir(argv[1]); err != nil {
				fail(1, "cd", quote(argv[1])+":", err.Error())
			}
			var buf [4096]byte
			if n, err := syscall.Getcwd(buf[:]); err == nil && n > 1 {
				env["PWD"] = string(buf[:n-1])
			}
			continue
		}
		if argv[0] == "echo" {
			// A shell builtin, and the images have no coreutils: `echo starting && node server.js`.
			os.Stdout.WriteString(joinWords(argv[1:]) + "\n")
			if last {
				os.Exit(0)
			}
			continue
		}
		path := lookPath(argv[0], stepEnv)
		if path == "" {
			fail(127, argv[0]+": command not found on PATH", stepEnv["PATH"])
		}
		if last {
			err := syscall.Exec(path, argv, envList(stepEnv))
			fail(126, "exec", quote(path)+":", err.Error())
		}
		run(path, argv, envList(stepEnv))
	}
}

func joinWords(words []string) string {
	out := ""
	for k, w := range words {
		if k > 0 {
			out += " "
		}
		out += w
	}
	return out
}

// run starts an earlier step and waits for it, passing on the signals a container gets (a
// `podman stop` while a migration runs stops the migration); a failure ends the launcher
// with the step's exit code, as && does.
func run(path string, argv []string, env []string) {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		fail(126, "run", quote(path)+":", err.Error())
	}
	done := make(chan syscall.WaitStatus, 1)
	go func() {
		var status syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &status, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		done <- status
	}()
	for {
		select {
		case sig := <-signals:
			syscall.Kill(pid, sig.(syscall.Signal))
		case status := <-done:
			signal.Reset()
			if status.Signaled() {
				os.Exit(128 + int(status.Signal()))
			}
			if status.ExitStatus() != 0 {
				os.Exit(status.ExitStatus())
			}
			return
		}
	}
}
