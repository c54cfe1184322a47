package scenarios

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// TestSchemaMatchesLoader keeps docs/scenario.schema.json, which editors
// use, in step with the keys the loader accepts.
func TestSchemaMatchesLoader(t *testing.T) {
	data, err := os.ReadFile("../docs/scenario.schema.json")
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(data, &schema))
	defs := schema["$defs"].(map[string]any)
	def := func(name string) map[string]any { return defs[name].(map[string]any) }

	keys := func(o map[string]any) []string {
		var out []string
		for k := range o["properties"].(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(l []string) []string {
		l = append([]string(nil), l...)
		sort.Strings(l)
		return l
	}
	for _, c := range []struct {
		name string
		obj  map[string]any
		want []string
	}{
		{"top level", schema, topKeys},
		{"kernel", def("kernel"), kernelKeys},
		{"cgroup", def("cgroup"), cgroupKeys},
		{"task", def("task"), taskKeys},
		{"expect", def("expect"), expectKeys},
		{"under", def("under"), underKeys},
		{"explore", def("explore"), exploreKeys},
		{"killer", def("killer"), killerKeys},
	} {
		require.Equal(t, sorted(c.want), keys(c.obj), c.name)
	}

	// Actions: the words and the one-key mappings, and each mapping's keys.
	actions := map[string]map[string]any{}
	var words []string
	for _, alt := range def("action")["oneOf"].([]any) {
		a := alt.(map[string]any)
		if e, ok := a["enum"]; ok {
			for _, w := range e.([]any) {
				words = append(words, w.(string))
			}
			continue
		}
		for k, v := range a["properties"].(map[string]any) {
			actions[k] = v.(map[string]any)
		}
	}
	all := map[string]bool{}
	for _, w := range words {
		all[w] = true
	}
	for k := range actions {
		all[k] = true
	}
	require.Equal(t, sorted(actionNames), sortedKeys(all), "actions")
	argKeys := func(a map[string]any) []string {
		if _, ok := a["properties"]; ok {
			return keys(a)
		}
		for _, alt := range a["oneOf"].([]any) {
			if o := alt.(map[string]any); o["properties"] != nil {
				return keys(o)
			}
		}
		return nil
	}
	for name, want := range map[string][]string{
		"fork": forkKeys, "write": writeKeys, "read": readKeys, "mkdir": dirKeys, "rmdir": dirKeys,
		"kill": killKeys, "wait": waitKeys, "sigaction": sigactionKeys, "await": awaitKeys, "repeat": repeatKeys,
		"oom": oomKeys, "exec": execKeys, "getpid": idKeys, "getppid": idKeys, "getpgid": idKeys, "getsid": idKeys, "get-subreaper": idKeys,
		"pidfd-open": pidfdOpenKeys, "pidfd-send-signal": pidfdSendKeys, "waitid": waitidKeys, "pidfd-info": pidfdInfoKeys, "sigprocmask": sigmaskKeys, "pidfd-fdinfo": fdinfoKeys,
	} {
		require.Equal(t, sorted(want), argKeys(actions[name]), name)
	}
	require.Equal(t, sorted(procsKeys), keys(actions["await"]["properties"].(map[string]any)["procs"].(map[string]any)), "procs")

	// Built-in programs, properties, coverage points.
	var progs []string
	for _, p := range def("program")["oneOf"].([]any)[0].(map[string]any)["enum"].([]any) {
		progs = append(progs, p.(string))
	}
	require.Equal(t, sorted(builtinPrograms), sorted(progs), "built-in programs")
	props := map[string]map[string]any{}
	for _, alt := range def("property")["oneOf"].([]any) {
		for k, v := range alt.(map[string]any)["properties"].(map[string]any) {
			props[k] = v.(map[string]any)
		}
	}
	require.Equal(t, sorted(propertyNames), sortedKeys(props), "properties")
	require.Equal(t, sorted(emptyAfterKillKeys), keys(props["empty-after-kill"]), "empty-after-kill")
	require.Equal(t, sorted(emptyAfterKillKeys), keys(props["empty-after-oom"]), "empty-after-oom")
	var cov []string
	for _, c := range props["not-reached"]["oneOf"].([]any)[0].(map[string]any)["enum"].([]any) {
		cov = append(cov, c.(string))
	}
	require.Equal(t, sorted(model.CoverageNames()), sorted(cov), "coverage points")
	var ids []string
	for _, id := range def("killer")["properties"].(map[string]any)["name"].(map[string]any)["enum"].([]any) {
		ids = append(ids, id.(string))
	}
	require.Equal(t, sorted(killerIDs()), sorted(ids), "killer names")
}

// TestSchemaFixes keeps the schema's list of candidate fixes in step with
// Fixes.
func TestSchemaFixes(t *testing.T) {
	data, err := os.ReadFile("../docs/scenario.schema.json")
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(data, &schema))
	var got []string
	for _, v := range schema["$defs"].(map[string]any)["fix"].(map[string]any)["enum"].([]any) {
		got = append(got, v.(string))
	}
	require.Equal(t, FixNames(), got)
}
