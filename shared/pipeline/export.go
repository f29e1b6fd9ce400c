package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

// ErrNothingToExport means no statement of the quarter is approved yet.
var ErrNothingToExport = errors.New("no approved or final statements")

// exportFormat names the export's file formats in its content hash: a
// change of columns or encoding is a change of content.
const exportFormat = "venn payroll export v1 (csv wide; csv long; parquet wide)"

// Export file names, in the run's csv folder and in current/.
const (
	payrollCSV     = "payroll.csv"
	payrollLongCSV = "payroll_long.csv"
	asc340CSV      = "asc340.csv" // the ASC 340-40 commission expense (accounting.go), when configured
	currentJSON    = "current.json"
)

// exportFiles are the export's files in hash order.
var exportFiles = []string{payrollCSV, payrollLongCSV, asc340CSV}

// PayrollExport is what Export did. It embeds the manifest of the export run
// that is current for the quarter: the run just written, or, when the
// content was unchanged, the earlier run that already holds it.
type PayrollExport struct {
	*lake.Manifest
	// Unchanged: the quarter's latest export already had this content, so
	// nothing was written.
	Unchanged bool
	// Hash is the content hash ("sha256:…") of the files finance receives.
	Hash string
	// Current is the stable location of the quarter's current files.
	Current CurrentExport
	// StatusTable is the quarter's current statement-status table commit.
	StatusTable *lake.Manifest
}

// CurrentExport is current.json: which run exports/payroll/quarter=Q/current/
// holds, with the statements and statuses it was made from.
type CurrentExport struct {
	Quarter     string `json:"quarter"`
	Run         string `json:"run"`
	ContentHash string `json:"content_hash"`
	Manifest    string `json:"manifest"`
	// Files are the current/ keys (wide CSV, and the long CSV when the
	// long format is configured); RunFiles the same files in the run folder.
	Files      map[string]string  `json:"files"`
	RunFiles   map[string]string  `json:"run_files"`
	Statements []CurrentStatement `json:"statements"`
}

// CurrentStatement is one statement of the current export.
type CurrentStatement struct {
	StatementID string `json:"statement_id"`
	PersonID    string `json:"person_id"`
	Status      string `json:"status"`
	Version     int64  `json:"version"`
}

// CurrentFolder is the stable folder of quarter q's current export files
// (see docs/runbook.md, "Payroll export").
func CurrentFolder(q period.Quarter) string { return exportPartition(q) + "/current" }

func exportPartition(q period.Quarter) string { return fmt.Sprintf("exports/payroll/quarter=%s", q) }

// Export commits the quarter's statement-status table when it changed
// (writeStatus), then writes the payroll export of quarter q once per
// change of content:
// approved and final statements only, as CSV (RFC 4180, formula-safe; the
// long format too when comp/payroll.yaml asks for it) and Parquet, in one
// committed run folder under exports/payroll/quarter=…/, then copies the
// CSV files to the quarter's current/ folder and writes current.json last.
// When the quarter's latest export run already has the same content hash
// it writes nothing (Unchanged), beyond repairing current/ if a crash left
// it behind that run.
func (e *Env) Export(ctx context.Context, q period.Quarter) (*PayrollExport, error) {
	// The configuration first: a bad payroll.yaml is rejected before
	// anything is read or written.
	cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
	if err != nil {
		return nil, fmt.Errorf("export %s: comp configuration: %w", q, err)
	}
	// The status table first: it holds drafts too, and Athena joins the
	// statement lines to it.
	status, err := e.writeStatus(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	recs, err := statementstore.Exportable(ctx, e.Store, q.String())
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("export %s: %w", q, ErrNothingToExport)
	}
	rows, err := comp.ExportRows(recs)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	files := map[string][]byte{}
	var wide bytes.Buffer
	if err := comp.WriteCSV(&wide, recs); err != nil {
		return nil, fmt.Errorf("export %s: csv: %w", q, err)
	}
	files[payrollCSV] = wide.Bytes()
	if cfg.Payroll != nil && cfg.Payroll.LongFormat {
		long, err := comp.LongRows(recs, cfg.Payroll, cfg.Adjustments)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", q, err)
		}
		var b bytes.Buffer
		if err := comp.WriteLongCSV(&b, long); err != nil {
			return nil, fmt.Errorf("export %s: long csv: %w", q, err)
		}
		files[payrollLongCSV] = b.Bytes()
	}
	if cfg.Accounting != nil {
		if files[asc340CSV], err = e.asc340(ctx, q, cfg.Accounting, recs); err != nil {
			return nil, fmt.Errorf("export %s: %w", q, err)
		}
	}
	hash := exportHash(files)
	partition := exportPartition(q)

	latest, err := lake.Latest(ctx, e.Blob, partition)
	if err != nil && !errors.Is(err, lake.ErrNoSnapshot) {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	if latest != nil && latest.Meta["content_hash"] == hash {
		cur, err := e.publishCurrent(ctx, q, latest, recs, hash, false)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", q, err)
		}
		e.log().Info("payroll export unchanged", "quarter", q.String(), "hash", hash, "run", latest.RunID)
		return &PayrollExport{Manifest: latest, Unchanged: true, Hash: hash, Current: *cur, StatusTable: status}, nil
	}

	id := runID(e.now())
	folder := lake.RunFolder(partition+"/csv", id) // outside the Parquet run folder: Athena reads every file there
	meta := map[string]string{"statements": fmt.Sprint(len(recs)), "content_hash": hash}
	for name, body := range files {
		key := folder + "/" + name
		if err := e.Blob.Put(ctx, key, bytes.NewReader(body)); err != nil {
			return nil, fmt.Errorf("export %s: %w", q, err)
		}
		meta[fileRole(name)] = key
	}
	m, err := lake.WriteTable(ctx, e.Blob, partition, rows, lake.TableOptions{Table: "exports/payroll", RunID: id, Meta: meta, Now: e.Now})
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	if err := e.register(ctx, m); err != nil {
		return nil, err
	}
	cur, err := e.publishCurrent(ctx, q, m, recs, hash, true)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", q, err)
	}
	return &PayrollExport{Manifest: m, Hash: hash, Current: *cur, StatusTable: status}, nil
}

// fileRole is the manifest meta key of an export file: "csv", "csv_long",
// "csv_asc340".
func fileRole(name string) string {
	switch name {
	case payrollLongCSV:
		return "csv_long"
	case asc340CSV:
		return "csv_asc340"
	}
	return "csv"
}

// exportHash hashes the files finance receives, by name, with the format
// version: rows, their order and every format option are in those bytes.
func exportHash(files map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", exportFormat)
	for _, name := range exportFiles {
		if body, ok := files[name]; ok {
			fmt.Fprintf(h, "%s %d\n", name, len(body))
			h.Write(body)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// publishCurrent makes current/ hold run m's files. Each file is one PUT,
// so a reader of current/ always sees a whole file (S3 and the local
// folder both replace an object atomically); current.json goes last and
// names the run, so a reader who needs the wide and long files of one run
// reads current.json and then the run's files it names. With force unset,
// current/ is left alone when current.json already names m's content.
func (e *Env) publishCurrent(ctx context.Context, q period.Quarter, m *lake.Manifest, recs []comp.ExportRecord, hash string, force bool) (*CurrentExport, error) {
	folder := CurrentFolder(q)
	cur := &CurrentExport{Quarter: q.String(), Run: m.RunID, ContentHash: hash, Manifest: m.Key(),
		Files: map[string]string{}, RunFiles: map[string]string{}}
	for _, name := range exportFiles {
		if key := m.Meta[fileRole(name)]; key != "" {
			cur.RunFiles[fileRole(name)] = key
			cur.Files[fileRole(name)] = folder + "/" + name
		}
	}
	for _, r := range recs {
		cur.Statements = append(cur.Statements, CurrentStatement{StatementID: r.Statement.ID, PersonID: r.Statement.PersonID, Status: r.Status, Version: r.Version})
	}
	if !force {
		if old, err := readCurrent(ctx, e, q); err == nil && old.ContentHash == hash && old.Run == m.RunID {
			return old, nil
		}
	}
	for role, src := range cur.RunFiles {
		body, err := readObject(ctx, e.Blob, src)
		if err != nil {
			return nil, fmt.Errorf("current export: %w", err)
		}
		if err := e.Blob.Put(ctx, cur.Files[role], bytes.NewReader(body)); err != nil {
			return nil, fmt.Errorf("current export: %w", err)
		}
	}
	js, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("current export: %w", err)
	}
	if err := e.Blob.Put(ctx, folder+"/"+currentJSON, bytes.NewReader(append(js, '\n'))); err != nil {
		return nil, fmt.Errorf("current export: %w", err)
	}
	return cur, nil
}

// readCurrent reads quarter q's current.json.
func readCurrent(ctx context.Context, e *Env, q period.Quarter) (*CurrentExport, error) {
	body, err := readObject(ctx, e.Blob, CurrentFolder(q)+"/"+currentJSON)
	if err != nil {
		return nil, err
	}
	var cur CurrentExport
	if err := json.Unmarshal(body, &cur); err != nil {
		return nil, fmt.Errorf("%s: %w", CurrentFolder(q)+"/"+currentJSON, err)
	}
	return &cur, nil
}

func readObject(ctx context.Context, b lake.Blob, key string) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return body, nil
}

// Status is the approve summary's word on the export: "export unchanged"
// (nothing written) or "export written".
func (x *PayrollExport) Status() string {
	if x.Unchanged {
		return "export unchanged"
	}
	return "export written"
}

// statusPartition is the partition of quarter q's statement-status table.
func statusPartition(q period.Quarter) string {
	return fmt.Sprintf("comp/statement_status/quarter=%s", q)
}

// writeStatus commits the quarter's statement-status table (one row per
// stored statement: status, version, approver and times) when it differs
// from the latest commit, and returns the commit that is current. Like the
// export, an approval that changed nothing writes nothing.
func (e *Env) writeStatus(ctx context.Context, q period.Quarter) (*lake.Manifest, error) {
	stored, err := statementstore.List(ctx, e.Store, q.String())
	if err != nil {
		return nil, fmt.Errorf("statement status: %w", err)
	}
	rows, err := statementstore.StatusRows(stored)
	if err != nil {
		return nil, fmt.Errorf("statement status: %w", err)
	}
	js, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("statement status: %w", err)
	}
	sum := sha256.Sum256(js)
	hash := "sha256:" + hex.EncodeToString(sum[:])
	partition := statusPartition(q)
	latest, err := lake.Latest(ctx, e.Blob, partition)
	if err != nil && !errors.Is(err, lake.ErrNoSnapshot) {
		return nil, fmt.Errorf("statement status: %w", err)
	}
	if latest != nil && latest.Meta["content_hash"] == hash {
		return latest, nil
	}
	m, err := lake.WriteTable(ctx, e.Blob, partition, rows, lake.TableOptions{Table: "comp/statement_status", RunID: runID(e.now()),
		Meta: map[string]string{"content_hash": hash, "statements": fmt.Sprint(len(rows))}, Now: e.Now})
	if err != nil {
		return nil, fmt.Errorf("statement status: %w", err)
	}
	return m, e.register(ctx, m)
}
