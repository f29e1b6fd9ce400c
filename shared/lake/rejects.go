package lake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/venn-revops/venn/shared/crm"
)

// Reject is one quarantined record, a line of a rejects-NNNNN.jsonl file.
type Reject struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Run    string `json:"run"`
	// Raw is the record as received (a JSON object; a Bulk CSV record
	// becomes {"header": "cell", …}) with its PII fields hashed like the
	// lake's. A record that is not valid JSON cannot be scrubbed, so only
	// its length and SHA-256 are kept.
	Raw       jsontext.Value `json:"raw,omitempty"`
	RawBytes  int            `json:"raw_bytes,omitempty"`
	RawSHA256 string         `json:"raw_sha256,omitempty"`
	// RawBase64 is the record's exact bytes (PII fields hashed) when they
	// are not valid JSON text, e.g. invalid UTF-8 or a duplicate key: a
	// JSON object that still splits into members, or a CSV row of an object
	// without PII fields.
	RawBase64 []byte `json:"raw_base64,omitempty"`
	// Page (1-based) and Row (1-based, within the page) say where the
	// record was in the response; zero when unknown.
	Page int `json:"page,omitempty"`
	Row  int `json:"row,omitempty"`
}

// At is where a record was in a query response: its 1-based page and its
// 0-based index in that page.
type At struct{ Page, Index int }

// rejectFileLines rolls reject files over at this many lines.
const rejectFileLines = 100_000

// RejectWriter writes an object's rejects as JSON lines into
// crm/rejects/object=<obj>/dt=<dt>/run=<run>/rejects-NNNNN.jsonl. The files
// are listed in the snapshot manifest; a run that never commits leaves them
// invisible like its data.
type RejectWriter struct {
	ctx    context.Context
	blob   Blob
	object *crm.Object
	folder string
	run    string
	pii    map[string]crm.FieldType // Salesforce name → type, fields to hash
	piiCfg *PII
	buf    bytes.Buffer
	lines  int
	files  []File
	count  int64
}

// NewRejectWriter prepares the reject writer of one object's run.
func NewRejectWriter(ctx context.Context, b Blob, o *crm.Object, dt, runID string, pii *PII) *RejectWriter {
	w := &RejectWriter{ctx: ctx, blob: b, object: o, folder: RunFolder(RejectsPartition(o.Name, dt), runID), run: runID, pii: map[string]crm.FieldType{}, piiCfg: pii}
	for _, name := range pii.HashedFields(o) {
		f, _ := o.Field(name)
		w.pii[name] = f.Type
	}
	return w
}

// Count is the number of rejects written so far.
func (w *RejectWriter) Count() int64 { return w.count }

// AddJSON quarantines a REST record that failed with ferr.
func (w *RejectWriter) AddJSON(raw []byte, at At, ferr error) error {
	r := w.base(ferr, at)
	scrubbed, err := w.scrubJSON(raw, false)
	switch {
	case err == nil:
		r.Raw = scrubbed
	default:
		sum := sha256.Sum256(raw)
		r.RawBytes, r.RawSHA256 = len(raw), hex.EncodeToString(sum[:])
		// Not strict JSON (invalid UTF-8, a lone surrogate, a duplicate
		// key): keep its bytes when it still splits into members, so its
		// PII can be hashed.
		if loose, err := w.scrubJSON(raw, true); err == nil {
			r.RawBase64 = loose
		}
	}
	return w.add(r)
}

// AddRaw quarantines a record that could not be split into fields (a Bulk
// CSV row with bad quoting): its length and hash, and its bytes only when
// the object has no PII fields to hide.
func (w *RejectWriter) AddRaw(raw []byte, at At, ferr error) error {
	r := w.base(ferr, at)
	sum := sha256.Sum256(raw)
	r.RawBytes, r.RawSHA256 = len(raw), hex.EncodeToString(sum[:])
	if len(w.pii) == 0 {
		r.RawBase64 = bytes.Clone(raw)
	}
	return w.add(r)
}

// AddCSV quarantines a Bulk API CSV record that failed with ferr.
func (w *RejectWriter) AddCSV(header, rec []string, at At, ferr error) error {
	r := w.base(ferr, at)
	var b bytes.Buffer
	enc := jsontext.NewEncoder(&b, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	enc.WriteToken(jsontext.BeginObject)
	for i, name := range header {
		if i >= len(rec) {
			break
		}
		enc.WriteToken(jsontext.String(name))
		enc.WriteToken(jsontext.String(w.scrub(name, rec[i])))
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return fmt.Errorf("reject %s %s: encode CSV record: %w", w.object.Name, r.ID, err)
	}
	r.Raw = jsontext.Value(bytes.TrimSpace(b.Bytes()))
	return w.add(r)
}

func (w *RejectWriter) base(ferr error, at At) Reject {
	r := Reject{Object: w.object.Name, Run: w.run, Reason: ferr.Error()}
	if at.Page > 0 {
		r.Page, r.Row = at.Page, at.Index+1
	}
	var fe *crm.FieldError
	if errors.As(ferr, &fe) {
		r.ID, r.Field, r.Reason = fe.ID, fe.Field, fe.Reason
		if _, ok := w.pii[fe.Field]; ok {
			// A reason may quote the bad value; keep PII out of the lake.
			r.Reason = "invalid value (PII, not shown)"
		}
	}
	return r
}

func (w *RejectWriter) scrub(name, v string) string {
	if t, ok := w.pii[name]; ok && v != "" {
		return w.piiCfg.Hash(t, v)
	}
	return v
}

// scrubJSON copies a record object, replacing the string values of PII
// fields with their hashes. loose tolerates invalid UTF-8 and duplicate
// names; the members are then copied byte for byte (an encoder would
// replace invalid UTF-8), so the quarantined bytes are the ones received.
func (w *RejectWriter) scrubJSON(raw []byte, loose bool) (jsontext.Value, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(loose), jsontext.AllowDuplicateNames(loose))
	var out bytes.Buffer
	tok, err := dec.ReadToken()
	if err != nil || tok.Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	out.WriteByte('{')
	for dec.PeekKind() != '}' {
		start := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String() // the token is voided by the next read
		rawName := bytes.TrimLeft(raw[start:dec.InputOffset()], " \t\r\n,")
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		out.Write(rawName)
		out.WriteByte(':')
		if _, ok := w.pii[name]; ok && val.Kind() == '"' {
			var s string
			if err := json.Unmarshal(val, &s); err != nil {
				// Not decodable even loosely: hash the raw text.
				s = string(val)
			}
			hashed, err := jsontext.AppendQuote(nil, w.scrub(name, s))
			if err != nil {
				return nil, err
			}
			out.Write(hashed)
		} else {
			out.Write(val)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	out.WriteByte('}')
	return jsontext.Value(out.Bytes()), nil
}

func (w *RejectWriter) add(r Reject) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("reject %s %s: %w", r.Object, r.ID, err)
	}
	w.buf.Write(line)
	w.buf.WriteByte('\n')
	w.lines++
	w.count++
	if w.lines >= rejectFileLines {
		return w.flush()
	}
	return nil
}

func (w *RejectWriter) flush() error {
	if w.lines == 0 {
		return nil
	}
	key := fmt.Sprintf("%s/rejects-%05d.jsonl", w.folder, len(w.files))
	sum := sha256.Sum256(w.buf.Bytes())
	f := File{Key: key, Rows: int64(w.lines), Bytes: int64(w.buf.Len()), SHA256: hex.EncodeToString(sum[:])}
	if err := w.blob.Put(w.ctx, key, bytes.NewReader(w.buf.Bytes())); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	w.files = append(w.files, f)
	w.buf.Reset()
	w.lines = 0
	return nil
}

// Close uploads the last file and returns all reject files.
func (w *RejectWriter) Close() ([]File, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w.files, nil
}

// Include adds reject files written earlier by another invocation of the
// same pull (a resumed extract stages its rejects until the merge): each
// is copied into this writer's run folder under the next file name, so the
// committed run folder holds every reject file its manifest lists.
func (w *RejectWriter) Include(files []File) error {
	if err := w.flush(); err != nil {
		return err
	}
	for _, f := range files {
		body, err := readAll(w.ctx, w.blob, f.Key)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(body); int64(len(body)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			return fmt.Errorf("reject file %s: %d bytes with SHA-256 %x, expected %d bytes, %s", f.Key, len(body), sum, f.Bytes, f.SHA256)
		}
		key := fmt.Sprintf("%s/rejects-%05d.jsonl", w.folder, len(w.files))
		if err := w.blob.Put(w.ctx, key, bytes.NewReader(body)); err != nil {
			return fmt.Errorf("upload %s: %w", key, err)
		}
		w.files = append(w.files, File{Key: key, Rows: f.Rows, Bytes: f.Bytes, SHA256: f.SHA256})
		w.count += f.Rows
	}
	return nil
}
