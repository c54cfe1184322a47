package scenarios

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"cgsim/model"
)

// PosError is an error at a position of a scenario file, printed as
// "file:line:col: message".
type PosError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *PosError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// decoder walks the yaml.Node tree of a scenario file. It keeps the first
// error; every method returns a zero value once an error is recorded, so
// callers need not check after each call.
type decoder struct {
	file string
	err  error
}

func (d *decoder) failf(n *yaml.Node, format string, args ...any) {
	if d.err != nil {
		return
	}
	e := &PosError{File: d.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.err = e
}

// parseYAML parses one YAML document strictly: one document, no aliases
// or merge keys, every syntax error with its position.
func (d *decoder) parseYAML(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Load(data, &doc, yaml.WithUniqueKeys(true)); err != nil {
		var le *yaml.LoadError
		if errors.As(err, &le) {
			msg := strings.TrimPrefix(le.Message, "yaml: ")
			if le.ContextMsg != "" {
				msg += " (" + le.ContextMsg + ")"
			}
			if strings.Contains(msg, "mapping values are not allowed") {
				msg += `: a value containing ": " must be quoted`
			}
			if strings.Contains(msg, "no documents") {
				msg = "empty file: want a scenario (a mapping with version, tasks, ...)"
			}
			d.err = &PosError{File: d.file, Line: le.Mark.Line, Col: le.Mark.Column, Msg: msg}
			return nil
		}
		d.err = &PosError{File: d.file, Msg: err.Error()}
		return nil
	}
	n := &doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	d.noAliases(n)
	return n
}

func (d *decoder) noAliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.failf(n, "anchors and aliases are not allowed in scenario files: write each value out")
		return
	}
	for _, c := range n.Content {
		d.noAliases(c)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// fields returns the values of mapping n by key; unknown keys, duplicate
// keys and non-string keys are errors. keys lists what is allowed, for the
// message.
func (d *decoder) fields(n *yaml.Node, what string, keys []string) map[string]*yaml.Node {
	if n == nil || d.err != nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, "%s: want a mapping with keys %s, got %s", what, strings.Join(keys, ", "), kindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.failf(k, "%s: keys must be plain words", what)
			return nil
		}
		if k.Value == "<<" {
			d.failf(k, "merge keys are not allowed in scenario files")
			return nil
		}
		if f, dup := first[k.Value]; dup {
			d.failf(k, "%s: duplicate key %q (first at line %d)", what, k.Value, f.Line)
			return nil
		}
		first[k.Value] = k
		if !slices.Contains(keys, k.Value) {
			d.failf(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(keys, ", "))
			return nil
		}
		out[k.Value] = v
	}
	return out
}

// single splits a one-key mapping ("write: {...}") or a scalar ("pause")
// into the name and its argument (nil for a scalar).
func (d *decoder) single(n *yaml.Node, what string, names []string) (string, *yaml.Node) {
	if d.err != nil {
		return "", nil
	}
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		if !slices.Contains(names, n.Value) {
			d.failf(n, "unknown %s %q (want one of %s)", what, n.Value, strings.Join(names, ", "))
			return "", nil
		}
		return n.Value, nil
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		k := n.Content[0]
		if !slices.Contains(names, k.Value) {
			d.failf(k, "unknown %s %q (want one of %s)", what, k.Value, strings.Join(names, ", "))
			return "", nil
		}
		return k.Value, n.Content[1]
	}
	d.failf(n, "%s: want a name or a mapping with one key (one of %s), got %s", what, strings.Join(names, ", "), kindName(n))
	return "", nil
}

func (d *decoder) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil || d.err != nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "%s: want a list, got %s", what, kindName(n))
		return nil
	}
	return n.Content
}

// listOrOne accepts a list or a single scalar.
func (d *decoder) listOrOne(n *yaml.Node, what string) []*yaml.Node {
	if n != nil && n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	return d.list(n, what)
}

func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	if n == nil || d.err != nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.failf(n, "%s: want a value, got %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, what string) string {
	s, _ := d.scalar(n, what)
	return s
}

func (d *decoder) int(n *yaml.Node, what string, lo, hi int64) int64 {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		d.failf(n, "%s: want an integer from %d to %d, got %q", what, lo, hi, s)
		return 0
	}
	return v
}

func (d *decoder) bool(n *yaml.Node, what string) bool {
	s, ok := d.scalar(n, what)
	if !ok {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	d.failf(n, "%s: want true or false, got %q", what, s)
	return false
}

func (d *decoder) errno(n *yaml.Node, what string) model.Errno {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0
	}
	if s == "OK" || s == "0" {
		return model.OK
	}
	e, ok := model.ParseErrno(s)
	if !ok {
		d.failf(n, "%s: unknown errno %q (want OK or a kernel name such as EBUSY, EINVAL, EOPNOTSUPP)", what, s)
	}
	return e
}

// errnos accepts one errno or a list.
func (d *decoder) errnos(n *yaml.Node, what string) []model.Errno {
	var out []model.Errno
	for _, c := range d.listOrOne(n, what) {
		out = append(out, d.errno(c, what))
	}
	return out
}

func (d *decoder) signal(n *yaml.Node, what string) model.Signal {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0
	}
	sig, ok := model.ParseSignal(s)
	if !ok {
		d.failf(n, "%s: unknown signal %q (want a name such as SIGKILL or SIGTERM)", what, s)
	}
	return sig
}

// cgroupPath checks an absolute cgroup path ("/", "/a/b").
func (d *decoder) cgroupPath(n *yaml.Node, what string) string {
	s, ok := d.scalar(n, what)
	if !ok {
		return ""
	}
	if !strings.HasPrefix(s, "/") || path.Clean(s) != s || strings.ContainsAny(s, " \t\n") {
		d.failf(n, "%s: want an absolute cgroup path such as /test or /a/b (no trailing slash, no . or ..), got %q", what, s)
		return ""
	}
	return s
}

// cgroupFile splits "/test/cgroup.kill" into the cgroup path and the file.
func (d *decoder) cgroupFile(n *yaml.Node, what string) (string, model.CgroupFile) {
	s := d.cgroupPath(n, what)
	if s == "" || s == "/" {
		if d.err == nil {
			d.failf(n, "%s: want the path of a cgroup file such as /test/cgroup.kill", what)
		}
		return "", 0
	}
	dir, name := path.Split(s)
	f, ok := model.ParseCgroupFile(name)
	if !ok {
		d.failf(n, "%s: %q is not a cgroup interface file this model has (want one of %s)", what, name, strings.Join(model.CgroupFileNames(), ", "))
		return "", 0
	}
	return path.Clean(dir), f
}

// seedRange parses "N" (the one seed N) or "N-M".
func (d *decoder) seedRange(n *yaml.Node, what string) (uint64, uint64) {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0, 0
	}
	lo, hi, err := ParseSeedRange(s)
	if err != nil {
		d.failf(n, "%s: %v", what, err)
	}
	return lo, hi
}

// ParseSeedRange parses "N-M", or "N" meaning the one seed N.
func ParseSeedRange(s string) (uint64, uint64, error) {
	a, b, found := strings.Cut(s, "-")
	lo, err := strconv.ParseUint(a, 10, 64)
	if err != nil || lo == 0 {
		return 0, 0, fmt.Errorf("want seeds as N or N-M with 1 <= N <= M, got %q", s)
	}
	hi := lo
	if found {
		if hi, err = strconv.ParseUint(b, 10, 64); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("want seeds as N or N-M with 1 <= N <= M, got %q", s)
		}
	}
	return lo, hi, nil
}

// checkName checks a task name or label.
func (d *decoder) checkName(n *yaml.Node, what string) string {
	s, ok := d.scalar(n, what)
	if !ok {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			d.failf(n, "%s: %q: want letters, digits, '-', '_' and '.' only", what, s)
			return ""
		}
	}
	if s == "" {
		d.failf(n, "%s: empty", what)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
