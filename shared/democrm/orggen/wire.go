package orggen

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// selectRecords runs q over the org: the numbers of the matching records in
// q's order, malformed records (negative: -(k+1)) included. all is queryAll
// (soft-deleted records included). The caller holds o.mu for reading.
func (o *Org) selectRecords(q *soqlQuery, all bool) []int32 {
	t := o.tables[q.obj.Name]
	rowFree := true // every condition is on Id, SystemModstamp or IsDeleted
	for _, c := range q.conds {
		if c.field != 0 && c.field != 1 && !(t.obj.SoftDelete && c.field == 3) {
			rowFree = false
		}
	}
	rc := &renderCtx{g: &o.gen}
	var row crm.Row
	keep := func(i int64) bool {
		if rowFree {
			del := t.deleted(i)
			if del && !all {
				return false
			}
			for k := range q.conds {
				c := &q.conds[k]
				var v crm.Value
				switch c.field {
				case 0:
					v = crm.Value{S: t.id(i)}
				case 1:
					v = crm.Value{I: t.stamp(i)}
				default:
					v = crm.Value{B: del}
				}
				if !c.match(t.obj.Fields[c.field].Type, v) {
					return false
				}
			}
			return true
		}
		if !t.current(rc, i, &row) {
			return false
		}
		return o.rowMatches(t, q, &row, all)
	}
	var out []int32
	if q.byStamp {
		for _, i := range t.ordered() {
			if keep(int64(i)) {
				out = append(out, i)
			}
		}
	} else {
		for i := int64(0); i < t.n+t.inserted; i++ {
			if !t.gone[i] && keep(i) {
				out = append(out, int32(i))
			}
		}
	}
	for k := range t.bad {
		b := &t.bad[k]
		if !o.rowMatches(t, q, &b.row, all) {
			continue
		}
		pos := len(out)
		if q.byStamp {
			s := b.row.Modstamp()
			pos = sort.Search(len(out), func(j int) bool { return o.refStamp(t, out[j]) > s })
		}
		out = append(out, 0)
		copy(out[pos+1:], out[pos:])
		out[pos] = -int32(k + 1)
	}
	if q.desc {
		slices.Reverse(out)
	}
	if q.limit >= 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	if !q.count {
		out = t.withCopies(out)
	}
	return out
}

func (o *Org) refStamp(t *table, ref int32) int64 {
	if ref < 0 {
		return t.bad[-ref-1].row.Modstamp()
	}
	return t.stamp(int64(ref))
}

func (o *Org) rowMatches(t *table, q *soqlQuery, row *crm.Row, all bool) bool {
	if !all && t.isDeleted(row) {
		return false
	}
	for k := range q.conds {
		c := &q.conds[k]
		if !c.match(t.obj.Fields[c.field].Type, row.Values[c.field]) {
			return false
		}
	}
	return true
}

// load renders record ref (see selectRecords) into row and returns its
// wire defect, if any. ok is false if the record was hard-deleted since it
// was selected. The caller holds o.mu for reading.
func (t *table) load(rc *renderCtx, ref int32, row *crm.Row) (d *WireDefect, ok bool) {
	if ref < 0 {
		b := &t.bad[-ref-1]
		row.Values = append(row.Values[:0], b.row.Values...)
		return b.d, true
	}
	if len(t.defects) > 0 {
		d = t.defects[int64(ref)]
	}
	return d, t.current(rc, int64(ref), row)
}

// loadAt loads refs[k] like load; for the first of a SameStampCopy pair
// (the same ref twice in a row) it returns the stale copy, without defect.
func (t *table) loadAt(rc *renderCtx, refs []int32, k int, row *crm.Row) (*WireDefect, bool) {
	d, ok := t.load(rc, refs[k], row)
	if ok && d != nil && d.Kind == DefectSameStampCopy {
		if k+1 < len(refs) && refs[k+1] == refs[k] {
			row.Values[d.Pos] = StaleValue(t.obj.Fields[d.Pos], row.Values[d.Pos])
		}
		d = nil
	}
	return d, ok
}

// withCopies repeats each record served with a SameStampCopy defect, so
// both copies sit side by side in the result. The caller holds o.mu.
func (t *table) withCopies(refs []int32) []int32 {
	if len(t.defects) == 0 {
		return refs
	}
	var out []int32
	for k, ref := range refs {
		if d := t.defects[int64(ref)]; ref >= 0 && d != nil && d.Kind == DefectSameStampCopy {
			if out == nil {
				out = append(make([]int32, 0, len(refs)+1), refs[:k]...)
			}
			out = append(out, ref)
		}
		if out != nil {
			out = append(out, ref)
		}
	}
	if out == nil {
		return refs
	}
	return out
}

// appendCents writes hundredths the way Salesforce's JSON writes numbers:
// 1234.5, 1234.56, 1234.0.
func appendCents(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.')
	frac := v % 100
	switch {
	case frac == 0:
		b = append(b, '0')
	case frac%10 == 0:
		b = append(b, byte('0'+frac/10))
	default:
		b = append(b, byte('0'+frac/10), byte('0'+frac%10))
	}
	return b
}

// AppendValue writes a non-null value as Salesforce text. bulk selects the
// Bulk API CSV forms (datetimes with Z) over REST's (+0000).
func AppendValue(b []byte, f crm.Field, v crm.Value, bulk bool) []byte {
	switch f.Type {
	case crm.Bool:
		return strconv.AppendBool(b, v.B)
	case crm.Date:
		return appendDate(b, crm.TimeOfDays(v.I))
	case crm.DateTime:
		t := crm.TimeOfMicros(v.I)
		b = appendDate(b, t)
		h, m, s := t.Clock()
		b = append(b, 'T')
		b = append2(b, h)
		b = append(b, ':')
		b = append2(b, m)
		b = append(b, ':')
		b = append2(b, s)
		ms := t.Nanosecond() / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
		if bulk {
			return append(b, 'Z')
		}
		return append(b, "+0000"...)
	case crm.Currency, crm.Percent:
		return appendCents(b, v.I)
	case crm.Rate:
		return append(b, crm.FormatRate(v.I)...)
	case crm.Int:
		return strconv.AppendInt(b, v.I, 10)
	}
	return append(b, v.S...)
}

// appendDate writes t's UTC date as YYYY-MM-DD; time.AppendFormat is a
// tenth of the cost of serving a record, this is a fraction of that.
func appendDate(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.AppendFormat(b, time.DateOnly)
	}
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	return append2(b, d)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

// CompoundName is the position a Selection gives Lead's compound Name, which is
// not stored: FirstName and LastName joined, as Salesforce computes it.
const CompoundName = -2

// FieldAt is the field at position i of obj and its value in row,
// including the compound Name.
func FieldAt(obj *crm.Object, row *crm.Row, i int) (crm.Field, crm.Value) {
	if i == CompoundName {
		first, last := row.Values[colIndex[crm.Lead]["FirstName"]], row.Values[colIndex[crm.Lead]["LastName"]]
		return crm.Field{Name: "Name", Type: crm.Text}, crm.Value{S: strings.TrimSpace(first.S + " " + last.S)}
	}
	return obj.Fields[i], row.Values[i]
}

// FieldName is the name of the field at position i of obj.
func FieldName(obj *crm.Object, i int) string {
	if i == CompoundName {
		return "Name"
	}
	return obj.Fields[i].Name
}
