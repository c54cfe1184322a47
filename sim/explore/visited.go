package explore

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Constants of the 64-bit hash (the wyhash secrets).
const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
	hk3 = 0x589965cc75374cc3
)

// mix is the wyhash 128-bit multiply-fold.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// Hash64 is the deterministic 64-bit hash used for state keys: a
// wyhash-style multiply-fold over little-endian 8-byte words, seeded with the
// length. It gives the same value for the same bytes on every platform and in
// every process (unlike hash/maphash). It is fast and mixes well, but it is
// not cryptographic: two distinct keys collide with probability about 2^-64,
// so a set of n hashed keys contains a collision with probability about
// n²/2^65.
func Hash64(p []byte) uint64 { return hashWords(uint64(len(p))^hk0, p) }

// hashWords folds p into h a little-endian 8-byte word at a time (the
// last one padded with zeros) and finishes h.
func hashWords(h uint64, p []byte) uint64 {
	for len(p) >= 8 {
		h = mix(binary.LittleEndian.Uint64(p)^hk1, h^hk2)
		p = p[8:]
	}
	if len(p) > 0 {
		var w uint64
		for i, c := range p {
			w |= uint64(c) << (8 * i)
		}
		h = mix(w^hk3, h^hk2)
	}
	return mix(h^hk1, hk3)
}

// componentHash hashes a key component for the interning table. It is
// wyhash's bulk loop: three independent lanes over 48-byte blocks, whose
// multiplies the CPU overlaps, where Hash64 chains one multiply per 8
// bytes. Components are 40 to 200 bytes, hashed once for every object a
// step changes, and only their table slots depend on it: their ids are
// given in insertion order, so the ids, the state keys and every count
// are the same whichever hash places them. (State keys keep Hash64, which
// hash compaction stores and whose collision rate it reports.)
func componentHash(p []byte) uint64 {
	h := uint64(len(p)) ^ hk0
	if len(p) >= 48 {
		a, b := h, h
		for len(p) >= 48 {
			h = mix(binary.LittleEndian.Uint64(p)^hk1, binary.LittleEndian.Uint64(p[8:])^h)
			a = mix(binary.LittleEndian.Uint64(p[16:])^hk2, binary.LittleEndian.Uint64(p[24:])^a)
			b = mix(binary.LittleEndian.Uint64(p[32:])^hk3, binary.LittleEndian.Uint64(p[40:])^b)
			p = p[48:]
		}
		h ^= a ^ b
	}
	if h = hashWords(h, p); h == 0 {
		h = 1
	}
	return h
}

// visited is the explorer's set of seen states: an open-addressing hash
// table with linear probing, stored as parallel arrays so that it costs no
// allocation per state. In exact mode the keys themselves live in
// append-only arena chunks (uvarint length followed by the bytes; chunks are
// never reallocated, so growing costs no copying) and lookups compare them;
// in compact mode only the 64-bit hash is kept, so distinct states with
// equal hashes are (wrongly) merged.
type visited struct {
	exact bool
	// limit, if positive, bounds bytes(): the table does not grow past it
	// (it fills up to maxLoad instead) and fits reports when it is full.
	limit int64
	shift uint     // 64 - log2(len(hs))
	hs    []uint64 // key hash per slot; 0 marks an empty slot
	aux   []uint64 // per slot: preemptions<<32 | depth of the best visit
	off   []uint64 // exact mode: chunk index<<32 | offset of the key in it
	arena [][]byte // exact mode: key chunks
	n     int
}

const visitedInitLog = 10

// Load factors of the table, in tenths: it grows at growLoad, and under a
// memory limit that forbids growing it takes entries up to maxLoad.
const (
	growLoad = 7
	maxLoad  = 9
)

func newVisited(exact bool) *visited {
	v := &visited{exact: exact}
	v.alloc(visitedInitLog)
	return v
}

func (v *visited) alloc(log uint) {
	size := 1 << log
	v.shift = 64 - log
	v.hs = make([]uint64, size)
	v.aux = make([]uint64, size)
	if v.exact {
		v.off = make([]uint64, size)
	}
}

// find returns the slot holding key (hash h) and true, or the empty slot
// where it would be inserted and false.
func (v *visited) find(h uint64, key []byte) (int, bool) {
	mask := uint64(len(v.hs) - 1)
	i := h >> v.shift
	for {
		x := v.hs[i]
		if x == 0 {
			return int(i), false
		}
		if x == h && (!v.exact || bytes.Equal(v.keyAt(v.off[i]), key)) {
			return int(i), true
		}
		i = (i + 1) & mask
	}
}

// keyAt returns the stored key at arena position o.
func (v *visited) keyAt(o uint64) []byte {
	c := v.arena[o>>32][uint32(o):]
	if n := c[0]; n < 0x80 {
		return c[1 : 1+int(n)]
	}
	n, w := binary.Uvarint(c)
	return c[w : uint64(w)+n]
}

// Arena chunk sizes: they double from the first to the last.
const (
	chunkFirst = 4 << 10
	chunkMax   = 1 << 20
)

// store appends key to the arena and returns its position.
func (v *visited) store(key []byte) uint64 {
	need := binary.MaxVarintLen64 + len(key)
	last := len(v.arena) - 1
	if last < 0 || cap(v.arena[last])-len(v.arena[last]) < need {
		size := chunkFirst
		if last >= 0 {
			size = min(2*cap(v.arena[last]), chunkMax)
		}
		v.arena = append(v.arena, make([]byte, 0, max(size, need)))
		last++
	}
	c := v.arena[last]
	pos := uint64(last)<<32 | uint64(len(c))
	c = binary.AppendUvarint(c, uint64(len(key)))
	v.arena[last] = append(c, key...)
	return pos
}

// insert stores key (hash h) with the given aux value in the empty slot i
// returned by find.
func (v *visited) insert(i int, h uint64, key []byte, aux uint64) {
	v.hs[i] = h
	v.aux[i] = aux
	if v.exact {
		v.off[i] = v.store(key)
	}
	v.n++
	if v.n*10 >= len(v.hs)*growLoad && (v.limit <= 0 || v.growBytes() <= v.limit) {
		v.grow()
	}
}

// growBytes is what bytes() would be after the table doubled.
func (v *visited) growBytes() int64 {
	per := int64(16) // hs and aux
	if v.exact {
		per += 8 // off
	}
	return int64(v.bytes()) + per*int64(len(v.hs))
}

// fits reports whether one more key of keyLen bytes can be inserted
// within limit: the table has a free slot below maxLoad (or may grow), and
// in exact mode the key arena has room for it.
func (v *visited) fits(keyLen int) bool {
	if v.limit <= 0 {
		return true
	}
	if (v.n+1)*10 >= len(v.hs)*maxLoad {
		return false
	}
	if v.exact {
		last := len(v.arena) - 1
		if last < 0 || cap(v.arena[last])-len(v.arena[last]) < binary.MaxVarintLen64+keyLen {
			size := chunkFirst
			if last >= 0 {
				size = min(2*cap(v.arena[last]), chunkMax)
			}
			if int64(v.bytes()+max(size, keyLen+binary.MaxVarintLen64)) > v.limit {
				return false
			}
		}
	}
	return true
}

// compact turns an exact table into a hash-compacted one: the stored
// hashes stay, the keys are dropped. Lookups from then on compare hashes
// only.
func (v *visited) compact() {
	v.exact = false
	v.off = nil
	v.arena = nil
}

// grow doubles the table, re-placing the stored hashes (keys stay put).
func (v *visited) grow() {
	hs, aux, off := v.hs, v.aux, v.off
	v.alloc(uint(64-v.shift) + 1)
	mask := uint64(len(v.hs) - 1)
	for j, h := range hs {
		if h == 0 {
			continue
		}
		i := h >> v.shift
		for v.hs[i] != 0 {
			i = (i + 1) & mask
		}
		v.hs[i] = h
		v.aux[i] = aux[j]
		if v.exact {
			v.off[i] = off[j]
		}
	}
}

// bytes is the memory held by the table.
func (v *visited) bytes() int {
	n := 8 * (cap(v.hs) + cap(v.aux) + cap(v.off))
	for _, c := range v.arena {
		n += cap(c)
	}
	return n
}

// keyHash is Hash64 with 0 (the empty-slot marker) remapped.
func keyHash(key []byte) uint64 {
	h := Hash64(key)
	if h == 0 {
		h = 1
	}
	return h
}
