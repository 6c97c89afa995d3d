package config

import (
	"errors"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/dhcpv4/optdef"
)

func classifyOptions(defs *OptionDefs) *classify.Options {
	if defs == nil {
		defs = optdef.Standard()
	}
	return &classify.Options{
		OptionCode: func(name string) (uint8, bool) {
			d, ok := defs.LookupName(optdef.SpaceDHCP4, name)
			return d.Code, ok
		},
		StringOption: func(code uint8) bool {
			d, ok := defs.LookupCode(optdef.SpaceDHCP4, code)
			return ok && d.Type == optdef.TypeString && !d.Array
		},
	}
}

// buildClassifier compiles the client classes into the classifier the
// server evaluates per packet, in the order they were written. Class i of
// the classifier is c.Classes[i].
func (l *loader) buildClassifier() {
	c := l.cfg
	defs := make([]classify.ClassDef, len(c.Classes))
	for i, cl := range c.Classes {
		defs[i] = classify.ClassDef{
			Name:             cl.Name,
			Test:             cl.Test,
			TemplateTest:     cl.TemplateTest,
			OnlyInAdditional: cl.Additional,
			Compiled:         l.classExprs[cl],
		}
	}
	names := make([]string, 0, len(l.hostClasses))
	for n := range l.hostClasses {
		names = append(names, n)
	}
	cls, err := classify.New(defs, &classify.Config{
		Options: *classifyOptions(c.OptionDefs),
		Names:   names,
	})
	if err != nil {
		var ce *classify.ClassError
		if errors.As(err, &ce) && ce.Index < len(c.Classes) {
			cl := c.Classes[ce.Index]
			at := cl.Pos
			if ce.Field == "test" {
				at = cl.TestPos
			} else if ce.Field == "template-test" {
				at = cl.TemplateTestPos
			}
			l.errf(at, "%v", err)
			return
		}
		l.errf(Pos{}, "client-classes: %v", err)
		return
	}
	c.Classifier = cls
}

// exprPos points into the quoted expression at the column a syntax error
// names: the opening quote is at at, so column n of the text is n columns
// to its right (exact for expressions without escapes, which is nearly
// all of them).
func exprPos(at Pos, err error) Pos {
	var se *classify.SyntaxError
	if errors.As(err, &se) && at.Line > 0 {
		at.Col += se.Col
	}
	return at
}
