package crm

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"
)

// Value is one typed field value. Which member is meaningful depends on the
// field's type:
//   - Text, ID, Picklist, Email, Phone: S
//   - Bool: B
//   - Date: I, days since 1970-01-01
//   - DateTime: I, microseconds since the Unix epoch, UTC
//   - Currency, Percent: I, hundredths (cents)
//   - Rate: I, millionths (RateScale)
//   - Int: I
//
// Null marks a missing value (JSON null, an absent key, an empty CSV cell).
// A null checkbox stays null: it never reads as false.
type Value struct {
	Null bool
	S    string
	I    int64
	B    bool
}

// Row is one record, its values aligned with Object.Fields.
type Row struct {
	Values []Value
}

// ID is the record Id (column 0 of every object).
func (r *Row) ID() string { return r.Values[0].S }

// Modstamp is SystemModstamp in microseconds (column 1 of every object).
func (r *Row) Modstamp() int64 { return r.Values[1].I }

// Reset makes r hold n null values, reusing its storage.
func (r *Row) Reset(n int) {
	if cap(r.Values) < n {
		r.Values = make([]Value, n)
	}
	r.Values = r.Values[:n]
	for i := range r.Values {
		r.Values[i] = Value{Null: true}
	}
}

// FieldError says which field of a record is bad and why. A record with a
// FieldError is quarantined (crm/rejects/) and counted; the run continues.
type FieldError struct {
	Object string
	ID     string // may be empty when the Id itself is missing
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	id := e.ID
	if id == "" {
		id = "(no Id)"
	}
	return fmt.Sprintf("%s %s: field %s: %s", e.Object, id, e.Field, e.Reason)
}

// Salesforce writes datetimes as 2025-01-01T12:00:00.000+0000 (REST) or with
// a Z (Bulk API CSV). Neither offset form is RFC 3339, so both are listed.
var dateTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05.000Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05-0700",
}

// ParseDateTime reads a Salesforce datetime into UTC.
func ParseDateTime(s string) (time.Time, error) {
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a Salesforce datetime (want 2006-01-02T15:04:05.000+0000)", s)
}

// FormatDateTime writes t the way the Salesforce REST API does.
func FormatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// FormatDate writes a date the way Salesforce does.
func FormatDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// FormatRate writes a Rate value (millionths) as a decimal, trailing zeros
// dropped: 920000 → "0.92".
func FormatRate(millionths int64) string { return decimal.New(millionths, -RateScale).String() }

// Micros converts an instant to the DateTime representation.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// Days converts a date to the Date representation.
func Days(t time.Time) int64 { return t.Unix() / 86400 }

// TimeOfMicros is the inverse of Micros.
func TimeOfMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// TimeOfDays is the inverse of Days: midnight UTC of that day.
func TimeOfDays(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// parseScalar converts one textual value for field f. The same function
// serves REST JSON (number and string literals) and Bulk API CSV cells, so
// both paths produce identical values.
func parseScalar(f Field, s string) (Value, error) {
	switch f.Type {
	case Text, ID, Picklist, Email, Phone:
		if !utf8.ValidString(s) {
			return Value{}, errors.New("invalid UTF-8")
		}
		if f.Type == ID {
			id, err := NormalizeID(s)
			return Value{S: id}, err
		}
		return Value{S: s}, nil
	case Bool:
		switch s {
		case "true":
			return Value{B: true}, nil
		case "false":
			return Value{B: false}, nil
		}
		return Value{}, fmt.Errorf("%q is not a boolean", s)
	case Date:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
		return Value{I: Days(t)}, nil
	case DateTime:
		t, err := ParseDateTime(s)
		if err != nil {
			return Value{}, err
		}
		return Value{I: Micros(t)}, nil
	case Currency, Percent, Rate:
		d, err := decimal.NewFromString(s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a number", s)
		}
		places := int32(2)
		if f.Type == Rate {
			places = RateScale
		}
		c := d.Shift(places)
		if !c.IsInteger() {
			return Value{}, fmt.Errorf("%q has more than %d decimal places", s, places)
		}
		if c.Abs().GreaterThan(maxDecimal18) {
			return Value{}, fmt.Errorf("%q is out of range for DECIMAL(18,%d)", s, places)
		}
		return Value{I: c.IntPart()}, nil
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a whole number", s)
		}
		return Value{I: n}, nil
	case AnyType:
		return ParseAnyType(s)
	}
	return Value{}, fmt.Errorf("unsupported type %s", f.Type)
}

// ParseAnyType reads an anyType value's text (a JSON string's content, a
// number or boolean literal, a CSV cell). A datetime is rewritten in the
// REST form (2025-01-01T12:00:00.000+0000), as Bulk API writes it with a
// Z instead: both paths then store the same text. Everything else is kept
// as sent.
func ParseAnyType(s string) (Value, error) {
	if !utf8.ValidString(s) {
		return Value{}, errors.New("invalid UTF-8")
	}
	if len(s) >= 20 && s[4] == '-' && s[10] == 'T' {
		if t, err := ParseDateTime(s); err == nil {
			return Value{S: FormatDateTime(t)}, nil
		}
	}
	return Value{S: s}, nil
}

var maxDecimal18 = decimal.New(999_999_999_999_999_999, 0)

// Decoder turns raw Salesforce records of one object into rows. It keeps the
// names of fields it did not expect (a new custom field, a relationship) so
// the run can log them and record them in the manifest; they never fail a
// run. A Decoder is not safe for concurrent use.
type Decoder struct {
	Object  *Object
	index   map[string]int
	Unknown map[string]int // unexpected field name → records seen with it
	// Currencies, when set, are the org's active currencies: a
	// CurrencyIsoCode outside them is rejected (any non-ISO 4217 code is
	// rejected regardless).
	Currencies Currencies
}

// NewDecoder prepares a decoder for o.
func NewDecoder(o *Object) *Decoder {
	idx := make(map[string]int, len(o.Fields))
	for i, f := range o.Fields {
		idx[f.Name] = i
	}
	return &Decoder{Object: o, index: idx, Unknown: map[string]int{}}
}

// DecodeJSON reads one REST record (a JSON object with "attributes") into
// row. Duplicate keys, invalid UTF-8 (lone surrogate escapes included), an
// attributes.type naming another object, a bad Id and a currency that is
// not ISO 4217 are errors, never silently resolved. A FieldError names the
// record's Id whenever the raw record has one, even when decoding failed
// before reaching it, so the record can be asked for again.
func (d *Decoder) DecodeJSON(raw []byte, row *Row) error {
	err := d.decodeJSON(raw, row)
	if fe, ok := err.(*FieldError); ok && fe.ID == "" {
		fe.ID = scanJSONID(raw)
	}
	return err
}

// scanJSONID finds the top-level "Id" string of a record that failed to
// decode, in its 18-character form when it is a valid Id ("" when none).
func scanJSONID(raw []byte) string {
	s, _ := RawString(raw, "Id")
	if id, err := NormalizeID(s); err == nil {
		return id
	}
	return s
}

// RawString finds the string value of a top-level member of a raw record,
// tolerating invalid UTF-8 and duplicate names (the first wins), for the
// rejects path: the Id and stamp of a record that did not decode. A
// record that is itself a JSON string (a bare Id in "records") yields
// that string for "Id".
func RawString(raw []byte, name string) (string, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return "", false
	}
	if tok.Kind() == '"' && name == "Id" {
		return tok.String(), true
	}
	if tok.Kind() != '{' {
		return "", false
	}
	for dec.PeekKind() != '}' {
		kt, err := dec.ReadToken()
		if err != nil {
			return "", false
		}
		if kt.String() != name {
			if dec.SkipValue() != nil {
				return "", false
			}
			continue
		}
		vt, err := dec.ReadToken()
		if err != nil || vt.Kind() != '"' {
			return "", false
		}
		return vt.String(), true
	}
	return "", false
}

func (d *Decoder) decodeJSON(raw []byte, row *Row) error {
	row.Reset(len(d.Object.Fields))
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.ReadToken()
	if err != nil || tok.Kind() != '{' {
		return d.fail(row, "(record)", "not a JSON object")
	}
	for dec.PeekKind() != '}' {
		kt, err := dec.ReadToken()
		if err != nil {
			return d.fail(row, "(record)", "malformed JSON: "+err.Error())
		}
		name := kt.String()
		if name == "attributes" {
			if err := d.checkAttributes(dec, row); err != nil {
				return err
			}
			continue
		}
		i, known := d.index[name]
		if !known {
			d.Unknown[name]++
			if err := dec.SkipValue(); err != nil {
				return d.fail(row, name, "malformed JSON: "+err.Error())
			}
			continue
		}
		vt, err := dec.ReadToken()
		if err != nil {
			return d.fail(row, name, "malformed JSON: "+err.Error())
		}
		var text string
		switch vt.Kind() {
		case 'n':
			row.Values[i] = Value{Null: true}
			continue
		case 't', 'f':
			switch d.Object.Fields[i].Type {
			case Bool:
				row.Values[i] = Value{B: vt.Bool()}
			case AnyType: // a checkbox's history: the literal's text, as Bulk API writes it
				row.Values[i] = Value{S: strconv.FormatBool(vt.Bool())}
			default:
				return d.fail(row, name, "unexpected boolean")
			}
			continue
		case '"':
			text = vt.String()
		case '0':
			text = string(vt.String())
			switch d.Object.Fields[i].Type {
			case Currency, Percent, Int, AnyType, Rate:
			default:
				return d.fail(row, name, "unexpected number "+text)
			}
		case '{', '[':
			return d.fail(row, name, "unexpected nested value")
		}
		v, err := d.parse(i, text)
		if err != nil {
			return d.fail(row, name, err.Error())
		}
		row.Values[i] = v
	}
	if _, err := dec.ReadToken(); err != nil {
		return d.fail(row, "(record)", "malformed JSON: "+err.Error())
	}
	return d.checkRequired(row)
}

// DecodeCSV reads one Bulk API 2.0 CSV record whose columns are named by
// header. An empty cell is null, as Bulk API 2.0 writes nulls.
func (d *Decoder) DecodeCSV(header, rec []string, row *Row) error {
	err := d.decodeCSV(header, rec, row)
	if fe, ok := err.(*FieldError); ok && fe.ID == "" {
		for c, name := range header {
			if name == "Id" && c < len(rec) {
				fe.ID = rec[c]
				if id, err := NormalizeID(rec[c]); err == nil {
					fe.ID = id
				}
			}
		}
	}
	return err
}

func (d *Decoder) decodeCSV(header, rec []string, row *Row) error {
	row.Reset(len(d.Object.Fields))
	if len(header) != len(rec) {
		return d.fail(row, "(record)", fmt.Sprintf("%d cells for %d columns", len(rec), len(header)))
	}
	for c, name := range header {
		i, known := d.index[name]
		if !known {
			d.Unknown[name]++
			continue
		}
		if rec[c] == "" {
			continue
		}
		v, err := d.parse(i, rec[c])
		if err != nil {
			return d.fail(row, name, err.Error())
		}
		row.Values[i] = v
	}
	return d.checkRequired(row)
}

// parse converts the text of field i and applies the rules that depend on
// the object: Id key prefixes and the currency code list.
func (d *Decoder) parse(i int, text string) (Value, error) {
	f := d.Object.Fields[i]
	v, err := parseScalar(f, text)
	if err != nil {
		return v, err
	}
	if f.Type == ID {
		return v, CheckIDPrefix(d.Object.Name, f.Name, v.S)
	}
	if f.Name == CurrencyField {
		return v, d.Currencies.Check(v.S)
	}
	return v, nil
}

// checkAttributes reads the record's "attributes" object: a type naming
// another object means the record was served for the wrong query.
func (d *Decoder) checkAttributes(dec *jsontext.Decoder, row *Row) error {
	v, err := dec.ReadValue()
	if err != nil {
		return d.fail(row, "attributes", "malformed JSON: "+err.Error())
	}
	if v.Kind() != '{' {
		return d.fail(row, "attributes", "not a JSON object")
	}
	ad := jsontext.NewDecoder(bytes.NewReader(v))
	ad.ReadToken()
	for ad.PeekKind() != '}' {
		kt, err := ad.ReadToken()
		if err != nil {
			return d.fail(row, "attributes", "malformed JSON: "+err.Error())
		}
		if kt.String() != "type" {
			if err := ad.SkipValue(); err != nil {
				return d.fail(row, "attributes", "malformed JSON: "+err.Error())
			}
			continue
		}
		tt, err := ad.ReadToken()
		if err != nil {
			return d.fail(row, "attributes", "malformed JSON: "+err.Error())
		}
		if tt.Kind() != '"' || tt.String() != d.Object.Name {
			return d.fail(row, "attributes.type", fmt.Sprintf("the record is a %s, not a %s", tt.String(), d.Object.Name))
		}
	}
	return nil
}

func (d *Decoder) checkRequired(row *Row) error {
	if d.Object.AppendOnly && len(row.Values) > 2 {
		row.Values[1] = row.Values[2] // no SystemModstamp: CreatedDate is the stamp
	}
	for i, f := range d.Object.Fields {
		if f.Required && row.Values[i].Null {
			return d.fail(row, f.Name, "required field is missing")
		}
		if f.Required && (f.Type == ID || f.Type == Text) && strings.TrimSpace(row.Values[i].S) == "" {
			return d.fail(row, f.Name, "required field is empty")
		}
	}
	return nil
}

func (d *Decoder) fail(row *Row, field, reason string) error {
	id := ""
	if len(row.Values) > 0 && !row.Values[0].Null {
		id = row.Values[0].S
	}
	return &FieldError{Object: d.Object.Name, ID: id, Field: field, Reason: reason}
}
