package server

import (
	"github.com/go-json-experiment/json/jsontext"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// appendJSONRecord writes one REST query record: attributes, then the
// selected fields in SELECT order, null for null; d, if not nil, is the
// record's wire defect.
func appendJSONRecord(b []byte, version string, obj *crm.Object, fields []int, row *crm.Row, d *orggen.WireDefect) []byte {
	id := row.Values[0].S
	typ := obj.Name
	if d != nil {
		switch {
		case d.Kind == orggen.DefectNotAnObject:
			b, _ = jsontext.AppendQuote(b, id)
			return b
		case d.Kind == orggen.DefectWrongType:
			typ = d.OtherType(obj)
		case d.Pos == 0 && d.Kind == orggen.DefectNullValue:
			id = ""
		case d.Pos == 0:
			id = d.WireID(id)
		}
	}
	b = append(b, `{"attributes":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","url":"/services/data/`...)
	b = append(b, version...)
	b = append(b, "/sobjects/"...)
	b = append(b, typ...)
	if id != "" {
		b = append(b, '/')
		b = append(b, id...)
	}
	b = append(b, `"}`...)
	for _, i := range fields {
		f, v := orggen.FieldAt(obj, row, i)
		b = append(b, ',', '"')
		b = append(b, f.Name...)
		b = append(b, '"', ':')
		if d == nil || d.Pos != i || !d.Kind.OnREST() {
			b = appendJSONValue(b, f, v)
			continue
		}
		switch d.Kind {
		case orggen.DefectBadValue:
			b, _ = jsontext.AppendQuote(b, d.Text)
		case orggen.DefectNullValue:
			b = append(b, "null"...)
		case orggen.DefectInvalidUTF8, orggen.DefectLoneSurrogate:
			b, _ = jsontext.AppendQuote(b, v.S)
			b = b[:len(b)-1]
			if d.Kind == orggen.DefectInvalidUTF8 {
				b = append(b, 0xFF, 0xFE)
			} else {
				b = append(b, `\ud800`...)
			}
			b = append(b, '"')
		case orggen.DefectDuplicateKey:
			b = appendJSONValue(b, f, v)
			b = append(b, ',', '"')
			b = append(b, f.Name...)
			b = append(b, '"', ':')
			b = appendJSONValue(b, f, orggen.StaleValue(f, v))
		case orggen.DefectBadChecksum, orggen.DefectWrongPrefix, orggen.DefectHyphenID, orggen.DefectShortID:
			b, _ = jsontext.AppendQuote(b, d.WireID(v.S))
		default:
			b = appendJSONValue(b, f, v)
		}
	}
	return append(b, '}')
}

// appendJSONValue writes one field value as Salesforce's JSON does.
func appendJSONValue(b []byte, f crm.Field, v crm.Value) []byte {
	switch {
	case v.Null:
		return append(b, "null"...)
	case f.Type == crm.Bool || f.Type == crm.Currency || f.Type == crm.Percent || f.Type == crm.Int || f.Type == crm.Rate:
		return orggen.AppendValue(b, f, v, false)
	case f.Type == crm.Date || f.Type == crm.DateTime:
		b = append(b, '"')
		b = orggen.AppendValue(b, f, v, false)
		return append(b, '"')
	}
	b, _ = jsontext.AppendQuote(b, v.S)
	return b
}

// appendCSVRecord writes one Bulk API 2.0 CSV line (RFC 4180, every cell
// quoted as Salesforce does, an empty cell for null); d, if not nil, is the
// record's wire defect.
func appendCSVRecord(b []byte, obj *crm.Object, fields []int, row *crm.Row, d *orggen.WireDefect) []byte {
	if d != nil && !d.Kind.OnBulk() {
		d = nil
	}
	var cell []byte
	for n, i := range fields {
		if n > 0 {
			b = append(b, ',')
		}
		f, v := orggen.FieldAt(obj, row, i)
		if d == nil || d.Pos != i {
			if !v.Null {
				cell = orggen.AppendValue(cell[:0], f, v, true)
				b = appendCSVCell(b, string(cell))
			}
			continue
		}
		switch d.Kind {
		case orggen.DefectBadValue:
			b = appendCSVCell(b, d.Text)
		case orggen.DefectNullValue:
		case orggen.DefectInvalidUTF8:
			b = appendCSVCell(b, v.S+"\xff\xfe")
		case orggen.DefectLoneSurrogate:
			b = appendCSVCell(b, v.S+"\xed\xa0\x80")
		case orggen.DefectBadChecksum, orggen.DefectWrongPrefix, orggen.DefectHyphenID, orggen.DefectShortID:
			b = appendCSVCell(b, d.WireID(v.S))
		case orggen.DefectCSVQuoting:
			// A bare quote inside a quoted cell: "Acme"x" is not RFC 4180.
			b = append(b, '"')
			b = append(b, v.S...)
			b = append(b, `"x"`...)
		default:
			if !v.Null {
				cell = orggen.AppendValue(cell[:0], f, v, true)
				b = appendCSVCell(b, string(cell))
			}
		}
	}
	if d != nil && d.Kind == orggen.DefectCSVColumns {
		b = append(b, `,"extra"`...)
	}
	return append(b, '\n')
}

func appendCSVCell(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
