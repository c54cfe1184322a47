package explore

import (
	"encoding/binary"
	"testing"
	"time"
)

// visitedKeys returns n distinct keys shaped like a componentwise state
// key: 16 uvarint component ids and a serial number.
func visitedKeys(n int) [][]byte {
	keys := make([][]byte, n)
	x := uint64(1)
	for i := range keys {
		k := make([]byte, 0, 40)
		for c := 0; c < 16; c++ {
			x = x*6364136223846793005 + 1442695040888963407
			k = binary.AppendUvarint(k, x>>54)
		}
		keys[i] = binary.AppendUvarint(k, uint64(i))
	}
	return keys
}

// BenchmarkVisited inserts 512k state keys into a visited set, then looks
// each up again (a search finds most successors visited): past a few
// hundred thousand states its cost is cache misses.
func BenchmarkVisited(b *testing.B) {
	keys := visitedKeys(1 << 19)
	for _, exact := range []bool{true, false} {
		name := "exact"
		if !exact {
			name = "compact"
		}
		b.Run(name, func(b *testing.B) {
			var ins, hit time.Duration
			var sink uint64
			for b.Loop() {
				t0 := time.Now()
				v := newVisited(exact)
				for _, k := range keys {
					h := keyHash(k)
					slot, found := v.find(h, k)
					if found {
						b.Fatal("duplicate key")
					}
					v.insert(slot, h, k, 0)
				}
				t1 := time.Now()
				for i := range keys {
					k := keys[(i*7919)&(len(keys)-1)]
					slot, found := v.find(keyHash(k), k)
					if !found {
						b.Fatal("key lost")
					}
					sink += v.aux[slot]

				}
				ins += t1.Sub(t0)
				hit += time.Since(t1)
			}
			if sink != 0 {
				b.Fatal("aux written")
			}
			b.ReportMetric(float64(ins.Nanoseconds())/float64(b.N)/float64(len(keys)), "ns/insert")
			b.ReportMetric(float64(hit.Nanoseconds())/float64(b.N)/float64(len(keys)), "ns/hit")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*len(keys)), "ns/lookup")
		})
	}
}
