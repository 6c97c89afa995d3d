package config

import (
	"errors"
	"strings"

	"github.com/leased/leased/classify"
)

// classRef is a class name used by a guard, an additional-classes list or
// option data.
type classRef struct {
	name string
	pos  Pos
	what string
}

func (l *loader) refClass(name string, at Pos, what string) {
	l.classRefs = append(l.classRefs, classRef{name: name, pos: at, what: what})
}

// builtinClasses are the classes the server assigns itself. DROP is not
// among them: it means something only when the configuration defines it.
var builtinClasses = map[string]bool{
	"ALL": true, "KNOWN": true, "UNKNOWN": true, "BOOTP": true,
}

// builtinPrefixes are the families of classes the server or hooks assign
// from packet contents (vendor class, HA scope, template spawns...).
var builtinPrefixes = []string{"VENDOR_CLASS_", "HA_", "SPAWN_", "AFTER_", "EXTERNAL_"}

func isBuiltinClass(name string) bool {
	if builtinClasses[name] {
		return true
	}
	for _, p := range builtinPrefixes {
		if len(name) > len(p) && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// classDraft is a class while classes are read.
type classDraft struct {
	c    *Class
	expr *classify.Expr // the test or template-test, compiled
	deps []string
	pos  Pos // of the expression, for dependency messages
}

func (l *loader) classes(m member) {
	c := l.cfg
	c.classes = map[string]*Class{}
	var drafts []*classDraft
	for _, e := range l.elements(m, "client class") {
		cl := &Class{Pos: e.Pos(), OptionDefs: c.OptionDefs}
		var optionDef, optionData, test, template *member
		var lt rawParams
		var onlyIfRequired, onlyInAdditional *member
		for _, m := range members(e, "client-classes") {
			if l.comment(m, &cl.UserContext) {
				continue
			}
			switch m.Key {
			case "name":
				cl.Name, _ = l.str(m)
			case "test":
				test = &m
			case "template-test":
				template = &m
			case "only-if-required":
				onlyIfRequired = &m
			case "only-in-additional-list":
				onlyInAdditional = &m
			case "option-def":
				optionDef = &m
			case "option-data":
				optionData = &m
			// A class sets a boot field only with a value: Kea leaves
			// the field to the next class or the subnet when the class
			// gives 0.0.0.0 or an empty string.
			case "next-server":
				if a, ok := l.ipv4(m); ok {
					if a == broadcast4 {
						l.errf(m.pos(), "next-server in client-classes: %s is the broadcast address", a)
						break
					}
					cl.NextServer, cl.HasNextServer = a, !a.IsUnspecified()
				}
			case "server-hostname":
				s, ok := l.boundedStr(m, maxSname)
				cl.ServerHostname, cl.HasServerHostname = s, ok && s != ""
			case "boot-file-name":
				s, ok := l.boundedStr(m, maxFile)
				cl.BootFileName, cl.HasBootFileName = s, ok && s != ""
			case "valid-lifetime", "min-valid-lifetime", "max-valid-lifetime", "offer-lifetime":
				l.param(subnetScope, &lt, m)
			default:
				l.unknown(m)
			}
		}
		if cl.Name == "" {
			l.errf(e.Pos(), "client-classes: each class needs a \"name\"")
			continue
		}
		if first, dup := c.classes[cl.Name]; dup {
			l.errf(e.Pos(), "client class %q is defined twice (first at %s)", cl.Name, first.Pos)
			continue
		}
		if builtinClasses[cl.Name] && (test != nil || template != nil) {
			// Kea lets a built-in class be defined only to carry
			// options, lifetimes and boot fields.
			l.errf(e.Pos(), "client class %q is built in: it may be defined to carry options, but not with a test", cl.Name)
			continue
		}
		what := "client class " + quote(cl.Name)
		switch {
		case onlyIfRequired != nil && onlyInAdditional != nil:
			l.errf(onlyIfRequired.keyPos(), "%s: only-if-required and only-in-additional-list are both given; keep only only-in-additional-list", what)
		case onlyIfRequired != nil:
			l.renamed(*onlyIfRequired, "only-in-additional-list")
			cl.Additional, _ = l.boolean(*onlyIfRequired)
		case onlyInAdditional != nil:
			cl.Additional, _ = l.boolean(*onlyInAdditional)
		}
		cl.ValidLifetime, cl.HasValidLifetime = l.triplet(lt, what, e.Pos())
		cl.OfferLifetime, cl.HasOfferLifetime = lt.offer.v, lt.offer.set
		if optionDef != nil {
			cl.OptionDefs = l.optionDefs(optionDef, c.OptionDefs, what, true)
		}
		cl.Options = l.optionSet(optionData, cl.OptionDefs, what)

		d := &classDraft{c: cl}
		switch {
		case test != nil && template != nil:
			l.errf(template.keyPos(), "%s: test and template-test are both given; a class has one or the other", what)
		case test != nil:
			if src, ok := l.str(*test); ok {
				cl.Test, cl.TestPos = src, test.pos()
				d.pos = test.pos()
				d.expr, d.deps = l.compile(src, classify.Bool, cl.OptionDefs, test.pos(), what)
			}
		case template != nil:
			if src, ok := l.str(*template); ok {
				cl.TemplateTest, cl.TemplateTestPos = src, template.pos()
				d.pos = template.pos()
				d.expr, d.deps = l.compile(src, classify.String, cl.OptionDefs, template.pos(), what)
			}
		}
		c.classes[cl.Name] = cl
		c.Classes = append(c.Classes, cl)
		drafts = append(drafts, d)
	}
	l.checkClassDeps(drafts)
	l.classExprs = make(map[*Class]*classify.Expr, len(drafts))
	for _, d := range drafts {
		// The classifier compiles again what was compiled against other
		// definitions: a class's own option-def does not reach it.
		if d.expr != nil && d.c.OptionDefs == c.OptionDefs {
			l.classExprs[d.c] = d.expr
		}
	}
}

func quote(s string) string { return `"` + s + `"` }

// compile compiles a class expression, reporting an error at its place
// in the file, and returns it with the classes it tests with member().
func (l *loader) compile(src string, kind classify.Kind, defs *OptionDefs, at Pos, what string) (*classify.Expr, []string) {
	if strings.TrimSpace(src) == "" {
		if kind == classify.Bool {
			return nil, nil
		}
		l.errf(at, "%s: template-test must not be empty", what)
		return nil, nil
	}
	x, err := classify.Compile(src, kind, classifyOptions(defs))
	if err != nil {
		var se *classify.SyntaxError
		if errors.As(err, &se) {
			// The message quotes the expression and names the column.
			l.errf(exprPos(at, err), "%s: expression: %v", what, err)
		} else {
			l.errf(at, "%s: expression %q: %v", what, src, err)
		}
		return nil, nil
	}
	return x, x.Members()
}

// checkClassDeps checks the classes' member() references: they must name
// built-in classes or classes defined earlier (classes are evaluated in
// order, so a later one would never be set yet), and must not form a
// cycle. It also marks classes that depend on KNOWN or UNKNOWN.
func (l *loader) checkClassDeps(drafts []*classDraft) {
	index := map[string]int{}
	for i, d := range drafts {
		index[d.c.Name] = i
	}
	// Cycles first: they explain forward references better than the
	// order rule does.
	state := make([]uint8, len(drafts)) // 0 new, 1 on stack, 2 done
	var stack []string
	inCycle := map[string]bool{}
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		stack = append(stack, drafts[i].c.Name)
		for _, dep := range drafts[i].deps {
			j, ok := index[dep]
			if !ok {
				continue
			}
			switch state[j] {
			case 0:
				visit(j)
			case 1:
				start := 0
				for k, n := range stack {
					if n == dep {
						start = k
					}
				}
				cycle := append(append([]string(nil), stack[start:]...), dep)
				for _, n := range cycle {
					inCycle[n] = true
				}
				l.errf(drafts[i].pos, "client classes depend on each other in a cycle: %s", strings.Join(cycle, " → "))
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
	}
	for i := range drafts {
		if state[i] == 0 {
			visit(i)
		}
	}
	for i, d := range drafts {
		for _, dep := range d.deps {
			what := "client class " + quote(d.c.Name)
			j, defined := index[dep]
			switch {
			case dep == "KNOWN" || dep == "UNKNOWN":
				d.c.DependsOnKnown = true
			case isBuiltinClass(dep):
			case !defined:
				l.errf(d.pos, "%s tests member(%q), but no class %q is defined", what, dep, dep)
			case inCycle[dep] && inCycle[d.c.Name]:
				// Reported as a cycle above.
			case d.c.TemplateTest != "":
				// Kea does not check the classes a template test names.
			case j >= i:
				l.errf(d.pos, "%s tests member(%q), which is defined later (at %s); classes are evaluated in order, so define %q first", what, dep, drafts[j].c.Pos, dep)
			case drafts[j].c.DependsOnKnown:
				d.c.DependsOnKnown = true
			}
		}
	}
}

// checkClassRefs checks the class names used by guards, additional-class
// lists and option data. Kea accepts unknown names there silently (a hook
// may assign the class), and the guard then never matches; leased warns.
func (l *loader) checkClassRefs() {
	for _, r := range l.classRefs {
		if l.full {
			// Nothing more is reported; closestClass compares the name
			// with every class, which for every reference would cost
			// their product.
			return
		}
		if l.cfg.classes[r.name] != nil || isBuiltinClass(r.name) || l.hostClasses[r.name] {
			continue
		}
		if s := closestClass(r.name, l.cfg.Classes); s != "" {
			l.warnf(r.pos, "%s names class %q, which is not defined (did you mean %q?); only a client a hook puts in %q matches", r.what, r.name, s, r.name)
			continue
		}
		l.warnf(r.pos, "%s names class %q, which is not defined in client-classes or assigned by a reservation; only a client a hook puts in %q matches", r.what, r.name, r.name)
	}
}

func closestClass(name string, classes []*Class) string {
	best, bestD := "", 3
	for _, c := range classes {
		if d, ok := closer(name, c.Name, bestD); ok {
			best, bestD = c.Name, d
		}
	}
	return best
}
