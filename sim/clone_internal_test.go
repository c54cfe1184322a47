package sim

import (
	"reflect"
	"testing"
)

// TestCloneIntoKnowsEveryField: World.CloneInto copies the fields one by
// one (not *d = *w), so a field added to World and not to CloneInto would
// be silently lost by every clone of a search. The list below is what
// CloneInto handles; a new field must be added there and here.
func TestCloneIntoKnowsEveryField(t *testing.T) {
	handled := []string{"K", "Progs", "Names", "Props", "Gate", "CheckInvariants", "Log", "logb", "spare",
		"labels", "counts", "memoLabel", "memoIdx", "waits", "operator", "Steps", "tracing", "trace", "drv", "por"}
	var fields []string
	for f := range reflect.TypeFor[World]().Fields() {
		fields = append(fields, f.Name)
	}
	if !reflect.DeepEqual(fields, handled) {
		t.Fatalf("World's fields are %v; CloneInto handles %v: copy the new field in CloneInto and list it here", fields, handled)
	}
}
