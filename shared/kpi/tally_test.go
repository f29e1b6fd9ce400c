package kpi

import (
	"reflect"
	"testing"
	"unsafe"
)

// field is v's i-th field, settable although unexported.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// TestTallyAddSumsEveryCounter fills every field of a tally with its own
// value and adds it twice to an empty one: a counter that add forgets (a
// KPI added without summing its counter across dimension keys) stays zero
// and fails here, naming the field.
func TestTallyAddSumsEveryCounter(t *testing.T) {
	var src tally
	v := reflect.ValueOf(&src).Elem()
	for i := range v.NumField() {
		f := field(v, i)
		switch f.Kind() {
		case reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			s.Index(0).SetInt(int64(i + 1))
			f.Set(s)
		default:
			t.Fatalf("tally.%s: kind %s: teach this test (and tally.add) how to sum it", v.Type().Field(i).Name, f.Kind())
		}
	}
	var dst tally
	dst.add(&src)
	dst.add(&src)
	d := reflect.ValueOf(&dst).Elem()
	for i := range d.NumField() {
		name, f := d.Type().Field(i).Name, field(d, i)
		switch f.Kind() {
		case reflect.Int64:
			if got, want := f.Int(), 2*int64(i+1); got != want {
				t.Errorf("tally.%s: after adding %d twice got %d, want %d: tally.add does not sum it", name, i+1, got, want)
			}
		case reflect.Slice:
			if f.Len() != 2 {
				t.Errorf("tally.%s: after adding a 1-element list twice got %d elements, want 2: tally.add does not merge it", name, f.Len())
			}
		}
	}
}
