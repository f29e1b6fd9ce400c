package gluecatalog

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/glue"
)

// What the external tests need from the in-package fake. demo_test.go runs
// the demo, which imports this package through lakeviews, so it has to be
// package gluecatalog_test.
const (
	TestDatabase = testDatabase
	TestBucket   = testBucket
	TestPrefix   = testPrefix
	LakeRoot     = lakeRoot
)

// RegisteredPartition is one partition the fake holds.
type RegisteredPartition struct {
	Table, Location, Manifest string
}

// NewGlueFake starts the Glue fake; partitions lists what it holds.
func NewGlueFake(t *testing.T) (partitions func() []RegisteredPartition, client *glue.Client) {
	f, client := newGlueFake(t)
	return func() []RegisteredPartition {
		f.Mu.Lock()
		defer f.Mu.Unlock()
		var out []RegisteredPartition
		for key, p := range f.Parts {
			table, _, _ := strings.Cut(key, "\x00")
			out = append(out, RegisteredPartition{Table: table, Location: p.StorageDescriptor.Location, Manifest: p.Parameters[ParamManifest]})
		}
		return out
	}, client
}
