package orggen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
)

// DefectKind is one way a record can be malformed on the wire. Each is a
// defect a real org or API answer has been seen to carry; the extract must
// quarantine the record (or, for ShortID and SameStampCopy, recover the
// true record) and keep the rest of the page.
type DefectKind int

// Defect kinds. "REST" is the JSON of query/queryAll pages, "Bulk" the CSV of
// Bulk API 2.0 results; a kind that has no form on one of them renders the
// record correctly there (see DefectKind.OnREST and OnBulk).
const (
	// DefectBadValue replaces Field's value by the JSON string (CSV cell)
	// Defect.Text: "n/a" for an amount, "2026-02-30T25:61:00.000+0000"
	// for a datetime, "XYZ" for CurrencyIsoCode. Default field: the
	// object's first currency field, else CreatedDate.
	DefectBadValue DefectKind = iota + 1
	// DefectNullValue serves Field as null (an empty CSV cell): a null
	// StageName, OwnerId or CurrencyIsoCode; on Id, a record with no Id
	// (its attributes.url ends at the object). Default field: OwnerId if
	// the object has one, else CreatedDate.
	DefectNullValue
	// DefectInvalidUTF8 appends the bytes 0xFF 0xFE, which are not UTF-8,
	// to a string field. Default field: the first string field after the
	// common ones.
	DefectInvalidUTF8
	// DefectLoneSurrogate appends the escape \ud800 (an unpaired UTF-16
	// surrogate) to a string field in JSON, and its 3-byte CESU form
	// ED A0 80 (invalid UTF-8) in CSV. Default field as InvalidUTF8.
	DefectLoneSurrogate
	// DefectDuplicateKey repeats Field's key inside the record with another
	// value (REST only): a decoder that keeps the last value reads a
	// wrong one. Default field as InvalidUTF8.
	DefectDuplicateKey
	// DefectNotAnObject serves the element of "records" as a JSON string
	// (the record's Id) instead of an object (REST only).
	DefectNotAnObject
	// DefectBadChecksum serves an 18-character Id whose last three
	// characters are not the checksum of the first fifteen. Field: Id
	// (default) or any Id-typed field.
	DefectBadChecksum
	// DefectWrongPrefix serves the Id with another object's key prefix
	// (a Lead's 00Q on an Opportunity), checksum recomputed so only the
	// prefix is wrong.
	DefectWrongPrefix
	// DefectHyphenID serves the Id with a '-' in place of its tenth
	// character (still 18 characters).
	DefectHyphenID
	// DefectShortID serves the Id in its valid 15-character form. Not a
	// reject: the extract should complete it to the 18-character Id, and
	// the lake then holds the true record.
	DefectShortID
	// DefectWrongType names another object in attributes.type (REST only).
	DefectWrongType
	// DefectSameStampCopy serves the record twice, adjacent, with the same
	// Id and SystemModstamp: first a copy whose Field differs (text gets
	// " (stale copy)", numbers +1, booleans flipped, dates a day later),
	// then the true record. Under the rule "latest SystemModstamp, then
	// the later position" the true record wins. Not a reject: a resolved
	// duplicate to be reported. Default field as InvalidUTF8.
	DefectSameStampCopy
	// DefectCSVQuoting breaks Field's CSV cell with a bare quote inside it
	// ("Acme"x"), so the row does not parse (Bulk only). Default field as
	// InvalidUTF8.
	DefectCSVQuoting
	// DefectCSVColumns appends one cell too many to the CSV row (Bulk
	// only).
	DefectCSVColumns
)

var defectNames = [...]string{"", "BadValue", "NullValue", "InvalidUTF8", "LoneSurrogate", "DuplicateKey", "NotAnObject",
	"BadChecksum", "WrongPrefix", "HyphenID", "ShortID", "WrongType", "SameStampCopy", "CSVQuoting", "CSVColumns"}

func (k DefectKind) String() string {
	if k > 0 && int(k) < len(defectNames) {
		return defectNames[k]
	}
	return fmt.Sprintf("DefectKind(%d)", int(k))
}

// OnREST reports whether the defect shows in REST query results.
func (k DefectKind) OnREST() bool { return k != DefectCSVQuoting && k != DefectCSVColumns }

// OnBulk reports whether the defect shows in Bulk API 2.0 CSV results.
func (k DefectKind) OnBulk() bool {
	return k != DefectDuplicateKey && k != DefectNotAnObject && k != DefectWrongType
}

// Rejects reports whether a correct extract quarantines the record. It is
// false for ShortID (a valid Id form) and SameStampCopy (a duplicate the
// extract resolves to the true record).
func (k DefectKind) Rejects() bool { return k != DefectShortID && k != DefectSameStampCopy }

// Defect is a wire defect of one record (see Org.Corrupt).
type Defect struct {
	Kind DefectKind
	// Field is the Salesforce name of the field the defect is in; empty
	// for the kind's default. Kinds that are not about one field
	// (NotAnObject, WrongType, CSVColumns) ignore it.
	Field string
	// Text is BadValue's wire text; empty for a default by the field's
	// type ("n/a" for numbers, an impossible date or datetime, "yes" for a
	// checkbox, "XYZ" for CurrencyIsoCode).
	Text string
}

// WireDefect is a Defect resolved against its object, as the server
// renders it: Pos is the field's position in the org's object (-1 for kinds
// without a field), Text the BadValue text.
type WireDefect struct {
	Defect
	Pos int
	why string
}

// resolve fills the defaults of d for obj and checks that it fits.
func (d Defect) resolve(obj *crm.Object) (*WireDefect, error) {
	r := &WireDefect{Defect: d, Pos: -1}
	firstString := func() int {
		for i, f := range obj.Fields {
			if i > 2 && isString(f.Type) && f.Name != "" {
				return i
			}
		}
		return -1
	}
	def := -1
	switch d.Kind {
	case DefectBadValue:
		def = slices.IndexFunc(obj.Fields, func(f crm.Field) bool { return f.Type == crm.Currency && f.Name != "" })
		if def < 0 {
			def = 2 // CreatedDate
		}
	case DefectNullValue:
		if def = slices.IndexFunc(obj.Fields, func(f crm.Field) bool { return f.Name == "OwnerId" }); def < 0 {
			def = 2
		}
	case DefectInvalidUTF8, DefectLoneSurrogate, DefectDuplicateKey, DefectCSVQuoting:
		def = firstString()
	case DefectSameStampCopy:
		// A plain value, not a reference: the stale copy must still decode.
		for i := len(obj.Fields) - 1; i > 2; i-- {
			f := obj.Fields[i]
			if f.Type != crm.ID && f.Name != "IsDeleted" && f.Name != "" && (def < 0 || isString(f.Type) || !isString(obj.Fields[def].Type)) {
				def = i
			}
		}
	case DefectBadChecksum, DefectWrongPrefix, DefectHyphenID, DefectShortID:
		def = 0
	case DefectNotAnObject, DefectWrongType, DefectCSVColumns:
		r.why = d.Kind.String()
		return r, nil
	default:
		return nil, fmt.Errorf("unknown defect kind %d", int(d.Kind))
	}
	r.Pos = def
	if d.Field != "" {
		r.Pos = slices.IndexFunc(obj.Fields, func(f crm.Field) bool { return f.Name == d.Field })
		if r.Pos < 0 {
			return nil, fmt.Errorf("%s has no field %s", obj.Name, d.Field)
		}
	}
	if r.Pos < 0 {
		return nil, fmt.Errorf("%s has no field a %s defect fits; name one", obj.Name, d.Kind)
	}
	f := obj.Fields[r.Pos]
	r.Field = f.Name
	switch d.Kind {
	case DefectInvalidUTF8, DefectLoneSurrogate, DefectCSVQuoting:
		if !isString(f.Type) {
			return nil, fmt.Errorf("%s defect needs a string field, %s.%s is %s", d.Kind, obj.Name, f.Name, f.Type)
		}
	case DefectBadChecksum, DefectWrongPrefix, DefectHyphenID, DefectShortID:
		if f.Type != crm.ID {
			return nil, fmt.Errorf("%s defect needs an Id field, %s.%s is %s", d.Kind, obj.Name, f.Name, f.Type)
		}
	case DefectSameStampCopy:
		if r.Pos < 2 || (obj.SoftDelete && r.Pos == 3) {
			return nil, fmt.Errorf("%s defect cannot change %s", d.Kind, f.Name)
		}
	case DefectBadValue:
		if r.Text == "" {
			r.Text = badText(f)
		}
		if r.Text == "" {
			return nil, fmt.Errorf("%s.%s is free text: give the bad value in Defect.Text", obj.Name, f.Name)
		}
	}
	r.why = fmt.Sprintf("%s in %s", d.Kind, f.Name)
	if d.Kind == DefectBadValue {
		r.why = fmt.Sprintf("%s is %q", f.Name, r.Text)
	}
	return r, nil
}

func isString(t crm.FieldType) bool {
	return t == crm.Text || t == crm.ID || t == crm.Picklist || t == crm.Email || t == crm.Phone
}

// badText is a value of the wrong form for f, or "" if every text fits.
func badText(f crm.Field) string {
	switch {
	case f.Name == "CurrencyIsoCode":
		return "XYZ"
	case f.Type == crm.Currency, f.Type == crm.Percent, f.Type == crm.Int, f.Type == crm.Rate:
		return "n/a"
	case f.Type == crm.DateTime:
		return "2026-02-30T25:61:00.000+0000"
	case f.Type == crm.Date:
		return "2026-02-30"
	case f.Type == crm.Bool:
		return "yes"
	case f.Type == crm.ID:
		return "not-an-id"
	}
	return ""
}

// WireID is the Id (or reference) s as the defect serves it.
func (d *WireDefect) WireID(s string) string {
	if len(s) != 18 {
		return s
	}
	switch d.Kind {
	case DefectBadChecksum:
		var b [18]byte
		copy(b[:], s)
		// Flip the case bit of the first chunk's checksum: a different
		// letter of the same alphabet, so only the checksum is wrong.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
		k := strings.IndexByte(alphabet, b[15])
		b[15] = alphabet[(k+1)%len(alphabet)]
		return string(b[:])
	case DefectWrongPrefix:
		prefix := keyPrefix["Lead"]
		if strings.HasPrefix(s, prefix) {
			prefix = keyPrefix["Opportunity"]
		}
		var b [18]byte
		copy(b[:], prefix+s[3:15])
		appendChecksum(&b)
		return string(b[:])
	case DefectHyphenID:
		return s[:9] + "-" + s[10:]
	case DefectShortID:
		return s[:15]
	}
	return s
}

// OtherType is the object WrongType names in attributes.type.
func (d *WireDefect) OtherType(obj *crm.Object) string {
	if obj.Name == "Lead" {
		return "Contact"
	}
	return "Lead"
}

// StaleValue is the differing value SameStampCopy's first copy (and
// DuplicateKey's second key) carries.
func StaleValue(f crm.Field, v crm.Value) crm.Value {
	if isString(f.Type) {
		return crm.Value{S: strings.TrimSpace(v.S + " (stale copy)")}
	}
	if v.Null {
		v = crm.Value{}
	}
	switch {
	case f.Type == crm.Bool:
		return crm.Value{B: !v.B}
	case f.Type == crm.Date:
		return crm.Value{I: v.I + 1}
	case f.Type == crm.DateTime:
		return crm.Value{I: v.I + usDay}
	}
	return crm.Value{I: v.I + 100} // currency and percent in hundredths, int +100
}

// MalformedRecord is one record the server currently serves malformed.
type MalformedRecord struct {
	Object string
	ID     string // the true Id; empty for a synthetic record with no Id
	Field  string // the field the defect is in; empty for whole-record kinds
	Why    string
	Kind   DefectKind
	// Live is true for a record of the org (Each yields its true values;
	// see Org.Corrupt) and false for a synthetic record served besides
	// the org (Config.Malformed), which is in no truth.
	Live bool
}

// badRecord is a synthetic malformed record: a plausible row, not part of
// the org, served with one defect.
type badRecord struct {
	row crm.Row
	d   *WireDefect
}

// malformedKinds are the synthetic bad records served besides the valid
// org, cycled through Config.Malformed times. Each is a plausible record
// with exactly one defect the extract must quarantine.
var malformedKinds = []struct {
	obj    *crm.Object
	defect Defect
	why    string
}{
	{crm.Lead, Defect{Kind: DefectBadValue, Field: "CreatedDate", Text: "2026-02-30T25:61:00.000+0000"}, "CreatedDate is not a valid datetime"},
	{crm.Opportunity, Defect{Kind: DefectBadValue, Field: "Amount", Text: "n/a"}, `Amount is the string "n/a"`},
	{crm.Lead, Defect{Kind: DefectNullValue, Field: "Id"}, "the record has no Id"},
}

func (o *Org) addMalformed() {
	for k := 0; k < o.cfg.Malformed; k++ {
		kind := malformedKinds[k%len(malformedKinds)]
		t := o.tables[kind.obj.Name]
		if t == nil { // the org lacks the object
			continue
		}
		n := malformedBase + int64(len(t.bad))
		id := makeID(t.prefix, n)
		stamp := o.gen.asOf - int64(k+1)*usHour
		d, err := kind.defect.resolve(t.obj)
		if err != nil {
			panic(fmt.Sprintf("democrm: synthetic defect: %v", err))
		}
		b := badRecord{d: d}
		b.row.Reset(len(t.obj.Fields))
		w := rowWriter{kind.obj, &b.row}
		w.common(id, stamp-30*usDay, stamp)
		owner := People[personIndex("005000000000011AAA")].ID
		switch kind.obj {
		case crm.Lead:
			w.str("FirstName", "Mal")
			w.str("LastName", "Formed")
			w.str("Company", "Broken Records Ltd")
			w.str("Status", "Open - Not Contacted")
			w.str("LeadSource", "Web")
			w.str("OwnerId", owner)
			w.str("Segment__c", "SMB")
			w.str("Region__c", "NA")
			w.boolean("IsConverted", false)
		case crm.Opportunity:
			w.str("Name", "Broken Records Ltd - New Business")
			w.str("OwnerId", People[personIndex("005000000000002AAA")].ID)
			w.str("StageName", "Prospecting")
			w.str("CurrencyIsoCode", "USD")
			w.date("CloseDate", dayOf(o.gen.asOf)+30)
			w.boolean("IsClosed", false)
			w.boolean("IsWon", false)
			w.str("Type", "New Business")
			w.hundredths("Probability", 1000)
		}
		if d.Kind == DefectNullValue && d.Pos == 0 {
			id = ""
		}
		t.bad = append(t.bad, b)
		o.bad = append(o.bad, MalformedRecord{Object: kind.obj.Name, ID: id, Field: d.Field, Why: kind.why, Kind: d.Kind})
	}
}

// Corrupt makes the server serve record id of obj with defect d, on every
// query page and Bulk result that carries it, until Repair. The org's
// truth is unchanged: Each still yields the record's correct values, which
// is what the lake should hold once the defect is repaired (or, for
// ShortID and SameStampCopy, at once). Corrupt does not change
// SystemModstamp: to have an incremental extract read the record, Touch or
// Update it (before or after). A second Corrupt of the same record
// replaces its defect.
func (o *Org) Corrupt(obj *crm.Object, id string, d Defect) error {
	return o.mutate("corrupt", obj, id, func(t *table, n int64) error {
		if i, ok := t.fieldPos(d.Field); ok && d.Field != "" {
			if t.obj.Fields[i].Name == "" {
				return fmt.Errorf("this org has no field %s", d.Field)
			}
			d.Field = t.obj.Fields[i].Name // a registry name: this org's name
		}
		rd, err := d.resolve(t.obj)
		if err != nil {
			return err
		}
		if rd.Pos >= 0 && rd.Kind != DefectBadValue && rd.Kind != DefectNullValue && rd.Kind != DefectSameStampCopy {
			row := &crm.Row{}
			t.current(&renderCtx{g: &o.gen}, n, row)
			if row.Values[rd.Pos].Null {
				return fmt.Errorf("%s is null, a %s defect would not show", rd.Field, rd.Kind)
			}
		}
		if t.defects == nil {
			t.defects = map[int64]*WireDefect{}
		}
		t.defects[n] = rd
		return nil
	})
}

// Repair makes the server serve record id of obj correctly again; a record
// without a defect is left as is.
func (o *Org) Repair(obj *crm.Object, id string) error {
	return o.mutate("repair", obj, id, func(t *table, n int64) error {
		delete(t.defects, n)
		return nil
	})
}

// RepairAll removes every defect set by Corrupt (the synthetic records of
// Config.Malformed stay).
func (o *Org) RepairAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.tables {
		t.defects = nil
	}
}

// Malformed lists the records the server currently serves malformed: the
// synthetic ones of Config.Malformed first, then the org's records
// corrupted by Corrupt, by object in registry order and Id order.
func (o *Org) Malformed() []MalformedRecord {
	out := append([]MalformedRecord(nil), o.bad...)
	o.mu.RLock()
	defer o.mu.RUnlock()
	for _, obj := range o.objects {
		t := o.tables[obj.Name]
		ns := make([]int64, 0, len(t.defects))
		for n := range t.defects {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			d := t.defects[n]
			out = append(out, MalformedRecord{Object: obj.Name, ID: t.id(n), Field: fieldName(obj, d.Pos), Why: d.why, Kind: d.Kind, Live: true})
		}
	}
	return out
}

func fieldName(obj *crm.Object, i int) string {
	if i < 0 {
		return ""
	}
	return obj.Fields[i].Name
}
