package conform_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"cgsim/conform"
	"cgsim/hostlinux"
	"cgsim/scenarios"
)

func TestMain(m *testing.M) {
	hostlinux.MaybeHelper()
	os.Exit(m.Run())
}

func TestBundledConform(t *testing.T) {
	if err := hostlinux.Check(); err != nil {
		t.Skip(err)
	}
	d, err := hostlinux.Detect()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			r, err := hostlinux.NewRun("conform")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			res, err := conform.Run(r, s, d.Options, conform.Options{Seeds: 50})
			var u *conform.Unsupported
			if errors.As(err, &u) {
				t.Skip(u.Reason)
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			res.Report(&b, true)
			t.Log(b.String())
			if !res.Agree {
				t.Error("disagree")
			}
		})
	}
}
