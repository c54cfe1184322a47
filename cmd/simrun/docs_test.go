package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/stretchr/testify/require"
)

// TestOwnKillerDoc keeps docs/own-killer.md and the module that
// testdata/script/ownkiller.txtar builds the same: the page's first Go
// block is mykiller.go, and every other Go block is in mykiller_test.go,
// so that the code a reader copies is the code that was tested.
func TestOwnKillerDoc(t *testing.T) {
	doc, err := os.ReadFile("../../docs/own-killer.md")
	require.NoError(t, err)
	ar, err := txtar.ParseFile("testdata/script/ownkiller.txtar")
	require.NoError(t, err)
	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	require.GreaterOrEqual(t, len(blocks), 2)
	require.Equal(t, files["mykiller/mykiller.go"], blocks[0][1], "docs/own-killer.md's first Go block and mykiller/mykiller.go differ")
	for i, b := range blocks[1:] {
		require.True(t, strings.Contains(files["mykiller/mykiller_test.go"], b[1]), "Go block %d of docs/own-killer.md is not in mykiller/mykiller_test.go", i+2)
	}
	mod := regexp.MustCompile("(?s)```\n(module example.com/mykiller.*?)\nreplace cgsim => ../cgsim\n```").FindStringSubmatch(string(doc))
	require.NotNil(t, mod, "docs/own-killer.md shows the module's go.mod")
	require.Equal(t, files["mykiller/go.mod"], mod[1])
}
