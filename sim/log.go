package sim

// logBlock is an array of log records shared by worlds of one search: a
// world's Log is a prefix of its block's records (World.logb), and the
// block's length is the high-water mark of what has been appended to it.
//
// Records below a world's Log length are never written while the world
// views them: a world appends in place only when its Log reaches the
// mark (the first of the worlds sharing a prefix to log takes the block
// on; the others see the mark past their Log and copy it into a block of
// their own first). Before blocks, every clone's first logged record
// copied the log into a new array (clones shared w.Log[:len:len]), one
// allocation per logged record of the search.
//
// refs counts the worlds whose logb is the block: set to one by the
// world that fills it, raised by CloneInto for the clone, lowered when a
// world moves to another block or is recycled (CloneInto's dst). Once no
// world holds a block, the world recycled last keeps it as its spare and
// fills it the next time it needs a block of its own, so a search in
// steady state allocates none. Clones made by Clone copy the log into a
// fresh block instead (Clone only reads the world it copies), and worlds
// with driven tasks, which sim/driver.go copies whole, never recycle one.
//
// Ownership: a block belongs to the worlds that hold it, all used by the
// goroutine of their search; a spare belongs to its world alone.
type logBlock struct {
	recs []Record
	refs int32
}

// appendLog appends r to w's Log.
func (w *World) appendLog(r Record) {
	n := len(w.Log)
	b := w.logb
	if b == nil || len(b.recs) != n || n == cap(b.recs) || n > 0 && &b.recs[0] != &w.Log[0] {
		b = w.ownLogBlock(n + 1)
	}
	b.recs = append(b.recs, r)
	w.Log = b.recs[: n+1 : n+1]
}

// ownLogBlock copies w's Log into a block that only w holds, with room for
// need records, and makes it w's: its spare if that has the room, else a
// new one.
func (w *World) ownLogBlock(need int) *logBlock {
	b := w.spare
	w.spare = nil
	if b == nil || cap(b.recs) < need {
		b = &logBlock{recs: make([]Record, 0, max(2*need, 8))}
	}
	b.recs = append(b.recs[:0], w.Log...)
	b.refs = 1
	if old := w.logb; old != nil {
		old.refs--
	}
	w.logb = b
	return b
}

// shareLog makes d's Log w's (CloneInto: d is a recycled world of the
// same search, w's clone from now on), keeping d's old block as its
// spare if no world holds it any more.
func (w *World) shareLog(d *World) {
	if b := d.logb; b != nil {
		b.refs--
		if b.refs == 0 && (d.spare == nil || cap(d.spare.recs) < cap(b.recs)) {
			d.spare = b
		}
	}
	d.Log = w.Log[:len(w.Log):len(w.Log)]
	d.logb = w.logb
	if d.logb != nil {
		d.logb.refs++
	}
}
