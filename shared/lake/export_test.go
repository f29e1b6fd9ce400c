package lake

import (
	"reflect"

	"github.com/parquet-go/parquet-go"
)

// SetColumnar turns the columnar fast path on or off and returns a func
// that restores the previous setting (tests compare both paths).
func SetColumnar(on bool) (restore func()) {
	prev := columnar
	columnar = on
	return func() { columnar = prev }
}

// Columnar reports whether the fast path takes T over files of schema s.
func Columnar[T any](s *parquet.Schema) bool {
	return planColumns(projectionOf(reflect.TypeFor[T]()), s) != nil
}
