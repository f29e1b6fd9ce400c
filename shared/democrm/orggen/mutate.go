package orggen

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/crm"
)

// SetClock sets the org's clock: the instant the next mutations are
// stamped with (SystemModstamp, CreatedDate of inserted records, deletion
// times) and the "now" of getDeleted/getUpdated. It starts at AsOf. Moving
// it forward purges the Recycle Bin of records deleted RecycleBinDays or
// more before it, as Salesforce does: they leave queryAll and the delete
// log.
func (o *Org) SetClock(t time.Time) {
	o.mu.Lock()
	o.clock = t.UTC()
	o.purge(crm.Micros(o.clock) - RecycleBinDays*usDay)
	o.mu.Unlock()
}

// Clock returns the org's clock.
func (o *Org) Clock() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.clock
}

// Update sets fields (by Salesforce name) of record id and bumps its
// SystemModstamp to the clock. Values are Go values: string for text, Id and
// picklist fields; time.Time (or a Salesforce-format string) for dates and
// datetimes; bool; string or decimal.Decimal for currency and percent
// ("1234.50"); int or int64 for whole numbers; nil for null.
func (o *Org) Update(obj *crm.Object, id string, fields map[string]any) error {
	return o.mutate("update", obj, id, func(t *table, n int64) error { return o.update(t, n, fields) })
}

// mutate runs fn on record id of obj under the write lock; an error names
// the change, the object and the Id.
func (o *Org) mutate(verb string, obj *crm.Object, id string, fn func(t *table, n int64) error) error {
	t, err := o.table(obj)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := t.number(id)
	if err != nil {
		return fmt.Errorf("democrm: %s: %w", verb, err)
	}
	if err := fn(t, n); err != nil {
		return fmt.Errorf("democrm: %s %s %s: %w", verb, obj.Name, id, err)
	}
	return nil
}

// update applies fields to record n and stamps it. The caller holds o.mu.
func (o *Org) update(t *table, n int64, fields map[string]any) error {
	row := &crm.Row{}
	if !t.current(&renderCtx{g: &o.gen}, n, row) {
		return errors.New("the record was deleted")
	}
	if err := t.setFields(row, fields); err != nil {
		return err
	}
	row.Values[1] = crm.Value{I: crm.Micros(o.clock)}
	t.over[n] = row
	t.invalidate()
	return nil
}

// Touch bumps record id's SystemModstamp to the clock without changing it,
// as a workflow or trigger does in a real org.
func (o *Org) Touch(obj *crm.Object, id string) error { return o.Update(obj, id, nil) }

// Insert creates a record of obj with the given fields (see Update for the
// value types) and returns its new Id. CreatedDate and SystemModstamp are
// the clock.
func (o *Org) Insert(obj *crm.Object, fields map[string]any) (string, error) {
	t, err := o.table(obj)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	n := t.n + t.inserted
	id := makeID(t.prefix, n)
	row := &crm.Row{}
	row.Reset(len(t.obj.Fields))
	now := crm.Micros(o.clock)
	w := rowWriter{t.obj, row}
	w.common(id, now, now)
	if err := t.setFields(row, fields); err != nil {
		return "", fmt.Errorf("democrm: insert %s: %w", obj.Name, err)
	}
	t.over[n] = row
	t.inserted++
	t.invalidate()
	return id, nil
}

// RecycleBinDays is how long a deleted record stays in the Recycle Bin
// (and so in queryAll and getDeleted) before Salesforce purges it.
const RecycleBinDays = 15

// Delete deletes record id as Salesforce does and logs the deletion (time:
// the clock) for getDeleted. Objects with IsDeleted are soft-deleted
// (IsDeleted = true, SystemModstamp bumped; only queryAll still returns them,
// until the Recycle Bin is purged: RecycleBinDays later or at
// EmptyRecycleBin). CampaignMember and OpportunitySplit have no IsDeleted:
// they vanish from query and queryAll at once, and only getDeleted reports
// them.
func (o *Org) Delete(obj *crm.Object, id string) error {
	return o.mutate("delete", obj, id, func(t *table, n int64) error {
		if _, ok := t.deletedAt[n]; ok || t.deleted(n) {
			return errors.New("already deleted")
		}
		if t.obj.SoftDelete {
			if err := o.update(t, n, map[string]any{"IsDeleted": true}); err != nil {
				return err
			}
		} else {
			t.gone[n] = true
			delete(t.over, n)
			t.invalidate()
		}
		t.deletedAt[n] = crm.Micros(o.clock)
		return nil
	})
}

// HardDelete removes record id physically, bypassing the Recycle Bin (as
// the Bulk API's hardDelete does): it vanishes from query and queryAll at
// once and getDeleted never lists it. Like any physical deletion it moves
// the object's earliestDateAvailable up to the deletion time, so getDeleted
// refuses a window that starts before it. A record already in the Recycle
// Bin can be hard-deleted too (purged individually).
func (o *Org) HardDelete(obj *crm.Object, id string) error {
	return o.mutate("hard delete", obj, id, func(t *table, n int64) error {
		at, ok := t.deletedAt[n]
		if !ok {
			at = crm.Micros(o.clock)
		}
		t.gone[n] = true
		delete(t.over, n)
		delete(t.deletedAt, n)
		t.lastPurge = max(t.lastPurge, at)
		t.invalidate()
		return nil
	})
}

// Undelete restores a soft-deleted record from the Recycle Bin: IsDeleted
// false, SystemModstamp bumped to the clock, its delete-log entry removed.
// A purged or hard-deleted record cannot be restored.
func (o *Org) Undelete(obj *crm.Object, id string) error {
	return o.mutate("undelete", obj, id, func(t *table, n int64) error {
		if !t.deleted(n) {
			return errors.New("not in the Recycle Bin")
		}
		if err := o.update(t, n, map[string]any{"IsDeleted": false}); err != nil {
			return err
		}
		delete(t.deletedAt, n)
		return nil
	})
}

// EmptyRecycleBin purges every deleted record now, as an administrator
// emptying the Recycle Bin does: soft-deleted records leave queryAll, the
// delete log is cleared, and earliestDateAvailable moves up to the latest
// deletion purged.
func (o *Org) EmptyRecycleBin() {
	o.mu.Lock()
	o.purge(math.MaxInt64)
	o.mu.Unlock()
}

// purge physically removes the records deleted at or before the instant
// before (micros). The caller holds o.mu.
func (o *Org) purge(before int64) {
	for _, t := range o.tables {
		changed := false
		for n, at := range t.deletedAt {
			if at > before {
				continue
			}
			if t.obj.SoftDelete {
				t.gone[n] = true
				delete(t.over, n)
				changed = true
			}
			delete(t.deletedAt, n)
			t.lastPurge = max(t.lastPurge, at)
		}
		if changed {
			t.invalidate()
		}
	}
}

// setFields sets fields named by their registry name or this org's name.
func (t *table) setFields(row *crm.Row, fields map[string]any) error {
	obj := t.obj
	for name, v := range fields {
		i, ok := t.fieldPos(name)
		if !ok {
			return fmt.Errorf("no field %s", name)
		}
		if name == "Id" || name == "SystemModstamp" {
			return fmt.Errorf("field %s is system-maintained", name)
		}
		val, err := toValue(obj.Fields[i], v) // the type is the registry's
		if err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		row.Values[i] = val
	}
	return nil
}

// toValue converts a Go value to the typed value of field f.
func toValue(f crm.Field, v any) (crm.Value, error) {
	if v == nil {
		return crm.Value{Null: true}, nil
	}
	switch f.Type {
	case crm.Text, crm.ID, crm.Picklist, crm.Email, crm.Phone, crm.AnyType:
		if s, ok := v.(string); ok {
			return crm.Value{S: s}, nil
		}
	case crm.Bool:
		if b, ok := v.(bool); ok {
			return crm.Value{B: b}, nil
		}
	case crm.Date, crm.DateTime:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			var err error
			if f.Type == crm.Date {
				t, err = time.Parse(time.DateOnly, x)
			} else {
				t, err = crm.ParseDateTime(x)
			}
			if err != nil {
				return crm.Value{}, err
			}
		default:
			return crm.Value{}, fmt.Errorf("want time.Time, got %T", v)
		}
		if f.Type == crm.Date {
			return crm.Value{I: crm.Days(t)}, nil
		}
		return crm.Value{I: crm.Micros(t)}, nil
	case crm.Currency, crm.Percent, crm.Rate:
		var d decimal.Decimal
		switch x := v.(type) {
		case decimal.Decimal:
			d = x
		case string:
			var err error
			if d, err = decimal.NewFromString(x); err != nil {
				return crm.Value{}, fmt.Errorf("%q is not a number", x)
			}
		default:
			return crm.Value{}, fmt.Errorf("want a decimal string or decimal.Decimal, got %T", v)
		}
		places := int32(2)
		if f.Type == crm.Rate {
			places = crm.RateScale
		}
		c := d.Shift(places)
		if !c.IsInteger() {
			return crm.Value{}, fmt.Errorf("%s has more than %d decimal places", d, places)
		}
		return crm.Value{I: c.IntPart()}, nil
	case crm.Int:
		switch x := v.(type) {
		case int:
			return crm.Value{I: int64(x)}, nil
		case int64:
			return crm.Value{I: x}, nil
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			return crm.Value{I: n}, err
		}
	}
	return crm.Value{}, fmt.Errorf("a %T cannot be a %s", v, f.Type)
}

// fieldPos finds a field by its registry name or its name in this org.
func (t *table) fieldPos(name string) (int, bool) {
	if t.base != nil {
		if i, ok := colIndex[t.base][name]; ok {
			return i, true
		}
	}
	i := slices.IndexFunc(t.obj.Fields, func(f crm.Field) bool { return f.Name == name && name != "" })
	return i, i >= 0
}
