//go:build linux

package hostlinux

import (
	"os/exec"
	"strings"
	"testing"
)

func TestBuildC(t *testing.T) {
	if err := HaveCC(); err != nil {
		t.Skip(err)
	}
	src := []byte("#include <stdio.h>\nint main(void) { puts(\"built\"); return 0; }\n")
	bin, err := BuildC("cc-test", src)
	if err != nil {
		t.Fatal(err)
	}
	again, err := BuildC("cc-test", src)
	if err != nil || again != bin {
		t.Fatalf("second build: %q %v, want the cached %q", again, err, bin)
	}
	out, err := exec.Command(bin).Output()
	if err != nil || strings.TrimSpace(string(out)) != "built" {
		t.Fatalf("running the binary: %q %v", out, err)
	}
	if _, err := BuildC("cc-broken", []byte("int main(void) { return }\n")); err == nil || !strings.Contains(err.Error(), "gcc cc-broken") {
		t.Fatalf("a source that does not compile: err %v", err)
	}
}
