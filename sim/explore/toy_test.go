package explore

import (
	"fmt"
	"strconv"
)

// toy is the fork-vs-cgroup.kill abstraction of the project's Promela
// reference model, used to test the explorer.
//
// Tasks 0..nf-1 are forkers, nf..nf+no-1 other members of the cgroup, and
// nf+no+i is the child of forker i. Actors 0..nf-1 are the forkers and actor
// nf is the killer. The whole state lives in one byte slice, which is also
// its key.
type toy struct {
	variant int // 1: kill flag; 2: kill sequence, iterating killer; 3: atomic killer
	nf, no  int
	s       []byte
}

// Layout of toy.s.
const (
	tKPC  = 0 // killer pc
	tKIdx = 1 // killer iteration index
	tSeq  = 2 // kill flag (variant 1) or kill sequence number (variants 2, 3)
	tN    = 3 // number of members
	tHdr  = 4 // then: forker pc[nf], snapshot[nf], kill decision[nf], kill bit[tasks], members[tasks]
)

// Forker pcs.
const (
	fSnap   = iota // snapshot := seq
	fCheck         // own kill bit set → done (EINTR)
	fLink          // link child, decide kill
	fSignal        // if kill, signal child
	fDone
)

const killerDone = 3

func newToy(variant, nf, no int) *toy {
	tasks := nf + no + nf
	t := &toy{variant: variant, nf: nf, no: no, s: make([]byte, tHdr+3*nf+2*tasks)}
	for i := 0; i < nf+no; i++ {
		t.s[t.oMem()+i] = byte(i)
	}
	t.s[tN] = byte(nf + no)
	return t
}

func (t *toy) tasks() int { return 2*t.nf + t.no }
func (t *toy) oPC() int   { return tHdr }
func (t *toy) oSnap() int { return tHdr + t.nf }
func (t *toy) oDec() int  { return tHdr + 2*t.nf }
func (t *toy) oBit() int  { return tHdr + 3*t.nf }
func (t *toy) oMem() int  { return tHdr + 3*t.nf + t.tasks() }

func (t *toy) Enabled(buf []int) []int {
	for i := 0; i < t.nf; i++ {
		if t.s[t.oPC()+i] != fDone {
			buf = append(buf, i)
		}
	}
	if t.s[tKPC] != killerDone {
		buf = append(buf, t.nf)
	}
	return buf
}

func (t *toy) signal(task byte) { t.s[t.oBit()+int(task)] = 1 }

func (t *toy) Step(a int) {
	s := t.s
	if a < t.nf {
		pc := t.oPC() + a
		switch s[pc] {
		case fSnap:
			s[t.oSnap()+a] = s[tSeq]
			s[pc] = fCheck
		case fCheck:
			if s[t.oBit()+a] != 0 {
				s[pc] = fDone
			} else {
				s[pc] = fLink
			}
		case fLink:
			n := int(s[tN])
			s[t.oMem()+n] = byte(t.nf + t.no + a)
			s[tN] = byte(n + 1)
			var kill bool
			if t.variant == 1 {
				kill = s[tSeq] != 0
			} else {
				kill = s[t.oSnap()+a] != s[tSeq]
			}
			if kill {
				s[t.oDec()+a] = 1
			}
			s[pc] = fSignal
		case fSignal:
			if s[t.oDec()+a] != 0 {
				t.signal(byte(t.nf + t.no + a))
			}
			s[pc] = fDone
		default:
			panic("toy: step of a finished forker")
		}
		return
	}
	if a != t.nf {
		panic("toy: no actor " + strconv.Itoa(a))
	}
	switch s[tKPC] {
	case 0:
		switch t.variant {
		case 1:
			s[tSeq] = 1
			s[tKPC] = 1
		case 2:
			s[tSeq]++
			s[tKPC] = 1
		case 3:
			s[tSeq]++
			for _, m := range s[t.oMem() : t.oMem()+int(s[tN])] {
				t.signal(m)
			}
			s[tKPC] = killerDone
		}
	case 1:
		if i := int(s[tKIdx]); i < int(s[tN]) {
			t.signal(s[t.oMem()+i])
			s[tKIdx]++
		} else if t.variant == 1 {
			s[tKPC] = 2
		} else {
			s[tKPC] = killerDone
		}
	case 2:
		s[tSeq] = 0
		s[tKPC] = killerDone
	default:
		panic("toy: step of a finished killer")
	}
}

func (t *toy) Clone() Model {
	c := *t
	c.s = append([]byte(nil), t.s...)
	return &c
}

// AppendKey: unused member slots are always zero, so the raw bytes are
// canonical.
func (t *toy) AppendKey(buf []byte) []byte { return append(buf, t.s...) }

func (t *toy) Check(final bool) string {
	if !final {
		return ""
	}
	for _, m := range t.s[t.oMem() : t.oMem()+int(t.s[tN])] {
		if t.s[t.oBit()+int(m)] == 0 {
			if int(m) >= t.nf+t.no {
				return fmt.Sprintf("task %d (child of forker %d) escaped cgroup.kill", m, int(m)-t.nf-t.no)
			}
			return fmt.Sprintf("task %d escaped cgroup.kill", m)
		}
	}
	return ""
}
