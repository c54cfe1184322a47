package explore

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// A table of several pieces finds what it holds, keeps its aux words
// through growing and compaction, and counts 24 bytes a slot exact, 16
// compacted.
func TestVisitedPieces(t *testing.T) {
	keys := visitedKeys(3 * pieceSlots)
	v := newVisited(true)
	for i, k := range keys {
		h := keyHash(k)
		slot, found := v.find(h, k)
		require.False(t, found)
		v.insert(slot, h, k, uint64(i))
	}
	require.Greater(t, len(v.pieces), 1)
	check := func() {
		for i, k := range keys {
			slot, found := v.find(keyHash(k), k)
			require.True(t, found)
			require.Equal(t, uint64(i), v.aux(slot))
		}
	}
	check()
	arena := 0
	for _, c := range v.arena {
		arena += cap(c)
	}
	assert.Equal(t, 24*v.size()+arena, v.bytes())
	v.compact()
	assert.Equal(t, 16*v.size(), v.bytes())
	check()
	_, found := v.find(keyHash([]byte("absent")), []byte("absent"))
	assert.False(t, found)
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
			for b.Loop() {
				v := newVisited(exact)
				for _, k := range keys {
					h := keyHash(k)
					slot, found := v.find(h, k)
					if found {
						b.Fatal("duplicate key")
					}
					v.insert(slot, h, k, 0)
				}
				for i := range keys {
					k := keys[(i*7919)&(len(keys)-1)]
					if _, found := v.find(keyHash(k), k); !found {
						b.Fatal("key lost")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*len(keys)), "ns/lookup")
		})
	}
}
