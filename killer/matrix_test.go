package killer_test

import (
	"os"
	"testing"

	"cgsim/killer"
)

func TestMatrixPrint(t *testing.T) {
	c := killer.DefaultCampaign()
	m, err := c.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	killer.WriteTable(os.Stdout, c, m)
	killer.WriteWhy(os.Stdout, m)
}
