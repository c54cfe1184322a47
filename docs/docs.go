// Package docs embeds the documents cgsim's programs point into:
// model.md, the reviewer's map from each modelled behaviour to its kernel
// function, which `simrun html` links every step's kernel function to.
package docs

import (
	_ "embed"
	"regexp"
	"strings"
)

// ModelMD is docs/model.md.
//
//go:embed model.md
var ModelMD string

// ModelLine returns the 1-based line of docs/model.md that first names
// the kernel function fn, as code (`fn` or `fn()`) if it is named so
// anywhere, else as a word, and 0 if it names it nowhere. "user" (a user
// space step) is the paragraph on how tasks run.
func ModelLine(fn string) int {
	lines := strings.Split(ModelMD, "\n")
	if fn == "user" {
		for i, l := range lines {
			if strings.Contains(l, "**How tasks run") {
				return i + 1
			}
		}
		return 0
	}
	code := regexp.MustCompile("`" + regexp.QuoteMeta(fn) + "(\\(\\))?`")
	word := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(fn) + `($|[^A-Za-z0-9_])`)
	for _, re := range []*regexp.Regexp{code, word} {
		for i, l := range lines {
			if re.MatchString(l) {
				return i + 1
			}
		}
	}
	return 0
}

// ModelExcerpt returns the text of docs/model.md at line n: the table
// row if it is one, else the line and those after it up to a blank line,
// at most max lines.
func ModelExcerpt(n, max int) string {
	lines := strings.Split(ModelMD, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	if strings.HasPrefix(lines[n-1], "|") {
		return lines[n-1]
	}
	var out []string
	for i := n - 1; i < len(lines) && len(out) < max && strings.TrimSpace(lines[i]) != ""; i++ {
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}
