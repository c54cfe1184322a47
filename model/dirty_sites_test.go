package model

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The tables whose elements are key components, with their marking and
// read accessors (dirty.go).
var (
	dirtyTables   = map[string]bool{"tasks": true, "groups": true, "ns": true, "cgroups": true, "csets": true}
	readAccessors = map[string]bool{"rtask": true, "rgroup": true, "rns": true, "rcgroup": true, "rcset": true}
)

// dirtyExempt are the functions allowed to use the tables without the
// marking accessors, and why.
var dirtyExempt = map[string]string{
	"Clone":                   "copies the tables; starts the copy with nothing marked",
	"CloneInto":               "copies the tables; starts the copy with nothing marked",
	"Reserve":                 "grows the tables' capacity before any step",
	"Renamed":                 "marks everything it writes at once (dirtyAll)",
	"AppendSameKeyComponents": "reads only",
	"CompareKeyComponents":    "reads only",
	"SameKeyComponent":        "reads only",
	"AppendKeyComponent":      "reads only",
	"appendTaskKey":           "reads only",
	"ChangedObjects":          "reads only",
	"mtask":                   "the accessor",
	"mgroup":                  "the accessor",
	"mns":                     "the accessor",
	"mcgroup":                 "the accessor",
	"mcset":                   "the accessor",
	"rtask":                   "the read accessor (its uses are checked)",
	"rgroup":                  "the read accessor (its uses are checked)",
	"rns":                     "the read accessor (its uses are checked)",
	"rcgroup":                 "the read accessor (its uses are checked)",
	"rcset":                   "the read accessor (its uses are checked)",
	"Task":                    "exported read-only view",
	"GroupOf":                 "exported read-only view",
	"NS":                      "exported read-only view",
	"Cgroup":                  "exported read-only view",
	"Cset":                    "exported read-only view",
	// Appending to a table makes an object at an index past the parent's
	// table, which AppendSameKeyComponents reports as new; the one place
	// a table shrinks (forkCancel) marks the slot it gives back.
	"New":            "appends a table",
	"newPidNS":       "appends a table",
	"findCssSet":     "appends a table",
	"mkdirLocked":    "appends a table",
	"forkAllocStep":  "appends a table",
	"forkCommitStep": "appends a table",
	"forkCancel":     "shrinks the task table after marking the slot",
	"SetupInit":      "appends a table",
	"SetupKthread":   "appends a table",
}

// tableOnly lists the exempt functions whose exemption covers only
// whole-table uses (append, reslice): their element writes are checked.
var tableOnly = map[string]bool{
	"New": true, "newPidNS": true, "findCssSet": true, "mkdirLocked": true, "forkAllocStep": true,
	"forkCommitStep": true, "forkCancel": true, "SetupInit": true, "SetupKthread": true,
}

// useKind classifies the use of expression stack[len(stack)-1] (with its
// ancestors in stack): "" when it is only read, otherwise what could
// write through it. Reading means: field selection, indexing and calls of
// value-receiver methods, ending in a value that is not assigned to,
// incremented, addressed, sliced or the receiver of a pointer method.
func useKind(stack []ast.Node, ptrMethods map[string]bool, readVars map[*ast.Object]bool) string {
	i := len(stack) - 1
	e := stack[i].(ast.Expr)
	for i > 0 {
		switch p := stack[i-1].(type) {
		case *ast.SelectorExpr:
			if p.X != e {
				return ""
			}
			if i >= 2 {
				if c, ok := stack[i-2].(*ast.CallExpr); ok && c.Fun == ast.Expr(p) {
					if ptrMethods[p.Sel.Name] {
						return "pointer method " + p.Sel.Name
					}
					return ""
				}
			}
		case *ast.IndexExpr:
			if p.X != e {
				return ""
			}
		case *ast.ParenExpr:
		case *ast.AssignStmt:
			for _, l := range p.Lhs {
				if l == e {
					return "assignment"
				}
			}
			return ""
		case *ast.IncDecStmt:
			return "increment"
		case *ast.UnaryExpr:
			if p.Op != token.AND {
				return ""
			}
			// &x.Frame kept in a variable that is itself only read.
			if i < 2 {
				return "address"
			}
			if as, ok := stack[i-2].(*ast.AssignStmt); ok {
				for j, r := range as.Rhs {
					if r == ast.Expr(p) && j < len(as.Lhs) {
						if id, ok := as.Lhs[j].(*ast.Ident); ok && id.Obj != nil && readVars[id.Obj] {
							return ""
						}
					}
				}
			}
			return "address"
		case *ast.SliceExpr:
			if p.X == e {
				return "slice"
			}
			return ""
		default:
			return ""
		}
		i--
		e = stack[i].(ast.Expr)
	}
	return ""
}

// TestDirtyWriteSites checks the rule of dirty.go on the package's
// source: outside the exempt functions, an element of a tracked table is
// written or addressed only through a marking accessor, and a pointer a
// read accessor returned is only read through.
func TestDirtyWriteSites(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	ptrMethods := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
				if _, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
					ptrMethods[fd.Name.Name] = true
				}
			}
		}
	}
	// A pointer method that only reads its receiver (Group.Action) may be
	// called through a read accessor's pointer. Its receiver is checked
	// as a read accessor's pointer is, against the methods known to write.
	var readMethods []*ast.FuncDecl
	for _, f := range parsed {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && fd.Recv != nil && fd.Body != nil && len(fd.Recv.List[0].Names) == 1 && fd.Recv.List[0].Names[0].Name != "k" {
				if _, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
					readMethods = append(readMethods, fd)
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, fd := range readMethods {
			if !ptrMethods[fd.Name.Name] {
				continue
			}
			recv := fd.Recv.List[0].Names[0].Obj
			if readOnlyUses(fd.Body, map[*ast.Object]bool{recv: true}, ptrMethods) {
				delete(ptrMethods, fd.Name.Name)
				changed = true
			}
		}
	}
	sites := 0
	for _, f := range parsed {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			_, exempt := dirtyExempt[fd.Name.Name]
			// Variables holding a read accessor's pointer.
			readVars := map[*ast.Object]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for i, r := range as.Rhs {
					if i >= len(as.Lhs) || !readPointer(r, readVars) {
						continue
					}
					id, ok := as.Lhs[i].(*ast.Ident)
					if !ok || id.Obj == nil {
						t.Errorf("%s: a read accessor's pointer must be kept in a variable", fset.Position(r.Pos()))
						continue
					}
					readVars[id.Obj] = true
				}
				return true
			})
			var stack []ast.Node
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return true
				}
				stack = append(stack, n)
				switch x := n.(type) {
				case *ast.Ident:
					if x.Obj == nil || !readVars[x.Obj] {
						return true
					}
					if as, ok := stack[len(stack)-2].(*ast.AssignStmt); ok {
						for _, l := range as.Lhs {
							if l == ast.Expr(x) {
								return true // the declaration or a new value
							}
						}
					}
					if _, ok := stack[len(stack)-2].(*ast.SelectorExpr); !ok {
						t.Errorf("%s: %s (%s): a read accessor's pointer is used other than by selecting a field", fset.Position(x.Pos()), x.Name, fd.Name.Name)
						return true
					}
					if kind := useKind(stack, ptrMethods, readVars); kind != "" {
						t.Errorf("%s: %s (%s): %s through a read accessor's pointer", fset.Position(x.Pos()), x.Name, fd.Name.Name, kind)
					}
				case *ast.CallExpr:
					// A read accessor's result used in place.
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && readAccessors[sel.Sel.Name] {
						if _, ok := stack[len(stack)-2].(*ast.AssignStmt); !ok {
							if kind := useKind(stack, ptrMethods, readVars); kind != "" {
								t.Errorf("%s: %s (%s): %s through a read accessor", fset.Position(x.Pos()), sel.Sel.Name, fd.Name.Name, kind)
							}
						}
					}
				case *ast.SelectorExpr:
					if !dirtyTables[x.Sel.Name] || (exempt && !tableOnly[fd.Name.Name]) {
						return true
					}
					sites++
					p := stack[len(stack)-2]
					if ix, ok := p.(*ast.IndexExpr); ok && ix.X == ast.Expr(x) {
						if kind := useKind(stack[:len(stack)-1], ptrMethods, nil); kind != "" {
							t.Errorf("%s: %s (%s): %s of an element of %s without a marking accessor", fset.Position(x.Pos()), fd.Name.Name, x.Sel.Name, kind, x.Sel.Name)
						}
						return true
					}
					switch p := p.(type) {
					case *ast.CallExpr:
						if id, ok := p.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
							return true
						}
					case *ast.RangeStmt:
						if p.X == ast.Expr(x) {
							return true
						}
					}
					if !exempt {
						t.Errorf("%s: %s: use of the table %s itself", fset.Position(x.Pos()), fd.Name.Name, x.Sel.Name)
					}
				}
				return true
			})
		}
	}
	if sites < 100 {
		t.Errorf("found only %d uses of the tables: is the check looking at the source?", sites)
	}
}

// readOnlyUses reports whether every use in body of the variables in vars
// selects a field (or calls a method that only reads) and reads it.
func readOnlyUses(body *ast.BlockStmt, vars map[*ast.Object]bool, ptrMethods map[string]bool) bool {
	ok := true
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		id, isID := n.(*ast.Ident)
		if !isID || id.Obj == nil || !vars[id.Obj] {
			return true
		}
		if _, sel := stack[len(stack)-2].(*ast.SelectorExpr); !sel || useKind(stack, ptrMethods, nil) != "" {
			ok = false
		}
		return true
	})
	return ok
}

// readPointer reports whether e is a read accessor's result, or the
// address of a field of one (&tk.Frame), directly or through a variable
// in readVars.
func readPointer(e ast.Expr, readVars map[*ast.Object]bool) bool {
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
		for {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Obj != nil && readVars[id.Obj] {
					return true
				}
				e = x.X
				continue
			case *ast.IndexExpr:
				e = x.X
				continue
			case *ast.ParenExpr:
				e = x.X
				continue
			}
			break
		}
	}
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	return ok && readAccessors[sel.Sel.Name]
}
