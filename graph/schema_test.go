package graph_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The playground's docs pane is most users' API reference: every type,
// field, argument, input field and enum value must be described.
func TestSchemaIsDescribed(t *testing.T) {
	// SQLite only: introspection reads the schema, not the database.
	a := newAPI(t, storetest.MustOpen(t, storetest.SQLite(t)))
	type named struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	type field struct {
		named
		Args []named `json:"args"`
	}
	var schema struct {
		Types []struct {
			named
			Fields      []field `json:"fields"`
			InputFields []named `json:"inputFields"`
			EnumValues  []named `json:"enumValues"`
		} `json:"types"`
	}
	a.do(t, "", `{ __schema { types { name description
		fields { name description args { name description } }
		inputFields { name description }
		enumValues { name description } } } }`, nil).decode(t, "__schema", &schema)
	checked := 0
	check := func(where string, n named) {
		t.Helper()
		checked++
		if strings.TrimSpace(n.Description) == "" {
			t.Errorf("%s has no description", where)
		}
	}
	for _, typ := range schema.Types {
		if strings.HasPrefix(typ.Name, "__") || map[string]bool{"String": true, "Boolean": true, "Int": true, "Float": true, "ID": true}[typ.Name] {
			continue
		}
		check(typ.Name, typ.named)
		for _, f := range typ.Fields {
			check(typ.Name+"."+f.Name, f.named)
			for _, arg := range f.Args {
				check(typ.Name+"."+f.Name+"("+arg.Name+")", arg)
			}
		}
		for _, f := range typ.InputFields {
			check(typ.Name+"."+f.Name, f)
		}
		for _, v := range typ.EnumValues {
			check(typ.Name+"."+v.Name, v)
		}
	}
	if checked < 200 {
		t.Fatalf("only %d schema elements checked: the introspection query lost something", checked)
	}
}
