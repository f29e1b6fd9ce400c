package comp

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/venn-revops/venn/shared/yamlstrict"
)

// nodeIndex is the shared YAML key index (yamlstrict.Index) plus the
// paths that already have an error, so a struct decoder message about the
// same node is not reported twice.
type nodeIndex struct {
	*yamlstrict.Index
	reported map[string]bool
}

func newNodeIndex() *nodeIndex {
	ix := &nodeIndex{Index: yamlstrict.NewIndex(itemNames), reported: map[string]bool{}}
	ix.Numbers = true // plan files: ids are quoted or carry letters
	return ix
}

// itemNames names the items of a sequence: by their id for components (ids
// are what people write and read; an index shifts when a component is
// added), by index elsewhere or when an id is missing or repeated.
func itemNames(seq *yaml.Node, key string) []string {
	names := make([]string, len(seq.Content))
	ids := make([]string, len(seq.Content))
	count := map[string]int{}
	if key == "components" {
		for i, it := range seq.Content {
			if it.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(it.Content); k += 2 {
				if it.Content[k].Value == "id" && it.Content[k+1].Kind == yaml.ScalarNode && yamlstrict.IsPlainKey(it.Content[k+1].Value) {
					ids[i] = it.Content[k+1].Value
					count[ids[i]]++
				}
			}
		}
	}
	for i := range seq.Content {
		if ids[i] != "" && count[ids[i]] == 1 {
			names[i] = ids[i]
		} else {
			names[i] = strconv.Itoa(i)
		}
	}
	return names
}

// walk records paths and checks every scalar under n; a reason is free
// text (tabs and line feeds allowed).
func (ix *nodeIndex) walk(e *errs, n *yaml.Node, path, key string) {
	ix.Walk(n, path, key, func(k string) bool { return k == "reason" }, func(p string, n *yaml.Node, reason string) {
		ix.fail(e, p, n, "%s", reason)
	})
}

func (ix *nodeIndex) fail(e *errs, path string, n *yaml.Node, format string, args ...any) {
	ix.reported[path] = true
	e.add(path, "%s (line %d)", fmt.Sprintf(format, args...), n.Line)
}
