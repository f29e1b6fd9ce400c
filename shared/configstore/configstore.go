// Package configstore holds Venn's business configuration at run time: the KPI
// definitions and targets, the extract's field mapping, the comp plans,
// assignments, quotas and adjustments, read from a folder or an S3 prefix
// instead of the files embedded in the binaries, versioned, validated as a
// whole and audited on every push.
//
// # Layout
//
// A configuration folder (what `venn config validate` reads and `venn config
// push` uploads) holds:
//
//	kpi.yaml                 KPI definitions and targets (docs/kpis.md)
//	extract.yaml             the org's field mapping (docs/org-setup.md)
//	score.yaml               lead scoring: target, features, publishing,
//	                         write-back (docs/scoring.md)
//	comp/plans/*.yaml        comp plans (docs/comp-plans.md)
//	comp/assignments.yaml    who is on which plan when
//	comp/quotas.yaml         effective-dated quotas (optional)
//	comp/adjustments.yaml    manual adjustments (optional)
//	comp/approvals.yaml      who may approve and finalize (the approve job
//	                         refuses to run without it; docs/comp-plans.md)
//	comp/payroll.yaml        the payroll export's earnings codes, pay date and
//	                         entities (optional; docs/comp-plans.md)
//	comp/accounting.yaml     the ASC 340-40 commission expense export
//	                         (optional, not in the embedded folder)
//
// kpi.yaml, extract.yaml, score.yaml and the comp/ folder are the units of
// the layout: a unit the folder leaves out is the embedded default of the binary
// that reads it (shared/config/...), and the snapshot says so (Defaults).
// Within comp/, the files are read as the payouts job reads them: plans and
// assignments.yaml are required, quotas, adjustments and payroll optional
// (absent: none). Any other file is refused, so a misspelt name is not silently
// replaced by a default; hidden files and *.md are ignored.
//
// # Stores
//
// A store (a local folder or s3://bucket/prefix) keeps pushed sets: the
// files with their versions, one audit record per push under
// _pushes/<push id>.json (who, when, content hash, files and their version
// ids), and current.json, the record of the set in force, written last so a
// reader never sees a half-pushed set. On S3 the files are objects at their
// layout keys and their versions are S3 object versions (the bucket must
// have versioning enabled); in a local folder they are kept under
// _versions/<path>/<sha256 prefix>.
//
// Parsing and validation stay in the domain packages (kpi, comp, extract,
// score, and the score job's check of the Lead columns it reads);
// this package reads bytes, hands them over and checks what spans files.
package configstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	extractconfig "github.com/venn-revops/venn/shared/config/extract"
	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	scoreconfig "github.com/venn-revops/venn/shared/config/score"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/score"
)

// The layout's files and folder.
const (
	KPIFile     = "kpi.yaml"
	ExtractFile = "extract.yaml"
	ScoreFile   = "score.yaml"
	CompDir     = "comp"
)

// Units are the layout's units, each taken whole from the folder or from the
// embedded default.
var Units = []string{KPIFile, ExtractFile, CompDir, ScoreFile}

// Snapshot is one complete, validated configuration.
type Snapshot struct {
	// Version names the configuration: the first 16 hex digits of Hash,
	// then "@" and the push id for a pushed set ("@embedded" for the
	// embedded default). Runs record it on their outputs and in their
	// input hash.
	Version string
	// Hash is the SHA-256 (hex) of the effective set (ContentHash).
	Hash string
	// Source is where it was read from: a folder, s3://bucket/prefix, or
	// "embedded".
	Source string
	// Files is the effective set in the layout, defaults filled in.
	Files fs.FS
	// Paths lists Files, sorted.
	Paths   []string
	KPI     *kpi.Config
	Comp    fs.FS // Files' comp/ folder
	Extract *extract.OrgConfig
	Score   *score.Config
	// Defaults lists the units taken from the embedded default.
	Defaults []string
	// Push is the record of the push that made it current (nil when the
	// set was read from a folder or is the embedded default).
	Push *PushRecord
}

// ValidationError is every problem found in a configuration, one per line,
// each naming the file, the key and the reason.
type ValidationError struct {
	Source   string
	Problems []error
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return fmt.Sprintf("configuration %s: %d problem(s):\n  %s", e.Source, len(e.Problems), strings.Join(parts, "\n  "))
}

// defaultFiles is the embedded configuration in the layout, with the paths
// each file is reported under.
func defaultFiles() (map[string][]byte, map[string]string) {
	files := map[string][]byte{KPIFile: kpiconfig.Default, ExtractFile: extractconfig.Default, ScoreFile: scoreconfig.Default}
	names := map[string]string{KPIFile: kpiconfig.DefaultName, ExtractFile: extractconfig.DefaultName, ScoreFile: scoreconfig.DefaultName}
	cfs := compconfig.FS()
	_ = fs.WalkDir(cfs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(cfs, p)
		files[CompDir+"/"+p] = b
		names[CompDir+"/"+p] = "shared/config/comp/" + p
		return err
	})
	return files, names
}

// unitOf is the layout unit a path belongs to, or "" when the path is not
// part of the layout.
func unitOf(p string) string {
	switch {
	case p == KPIFile, p == ExtractFile, p == ScoreFile:
		return p
	case path.Dir(p) == "comp/plans" && path.Ext(p) == ".yaml":
		return CompDir
	case path.Dir(p) == CompDir && compFiles()[path.Base(p)]:
		return CompDir
	}
	return ""
}

// compFiles are the file names the comp folder may hold beside plans/:
// those of the embedded folder (assignments.yaml, quotas.yaml,
// adjustments.yaml, ...), so the layout follows what the payouts job reads.
var compFiles = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	entries, _ := fs.ReadDir(compconfig.FS(), ".")
	for _, e := range entries {
		if !e.IsDir() {
			out[e.Name()] = true
		}
	}
	// Optional files the embedded folder does not ship.
	out[comp.AccountingFile] = true
	return out
})

// ignored says whether a file of a folder is outside the configuration on
// purpose: hidden files and folders, and notes (*.md).
func ignored(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return path.Ext(p) == ".md"
}

// ContentHash is the SHA-256 (hex) of a set of files: for each path in byte
// order, the path, a NUL, the hex SHA-256 of its bytes and a newline. Anyone
// can recompute it with sha256sum.
func ContentHash(files map[string][]byte) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%s\n", p, sha256Hex(files[p]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// build validates files (paths in the layout; a missing unit is filled from
// the embedded default) and returns the snapshot. name maps a path to how
// errors report it (its place in the folder or bucket).
func build(source string, files map[string][]byte, name func(string) string) (*Snapshot, error) {
	var problems []error
	present := map[string]bool{}
	for p := range files {
		u := unitOf(p)
		if u == "" {
			problems = append(problems, fmt.Errorf("%s: not part of the configuration layout (kpi.yaml, extract.yaml, score.yaml, comp/plans/*.yaml, comp/assignments.yaml, comp/quotas.yaml, comp/adjustments.yaml): rename or remove it", name(p)))
			continue
		}
		present[u] = true
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Source: source, Problems: problems}
	}
	effective := make(map[string][]byte, len(files))
	names := map[string]string{}
	for p, b := range files {
		effective[p], names[p] = b, name(p)
	}
	defFiles, defNames := defaultFiles()
	var defaults []string
	for _, u := range Units {
		if present[u] {
			continue
		}
		defaults = append(defaults, u)
		for p, b := range defFiles {
			if unitOf(p) == u {
				effective[p], names[p] = b, defNames[p]
			}
		}
	}
	s := &Snapshot{Source: source, Defaults: defaults, Hash: ContentHash(effective)}
	s.Version = s.Hash[:16]
	mfs := fstest.MapFS{}
	for p, b := range effective {
		mfs[p] = &fstest.MapFile{Data: b, Mode: 0o444}
		s.Paths = append(s.Paths, p)
	}
	sort.Strings(s.Paths)
	s.Files = mfs
	var err error
	if s.KPI, err = kpi.LoadConfig(names[KPIFile], effective[KPIFile]); err != nil {
		problems = append(problems, err)
	}
	if s.Extract, err = extract.LoadOrgConfig(names[ExtractFile], effective[ExtractFile]); err != nil {
		problems = append(problems, err)
	}
	if s.Score, err = score.LoadConfig(names[ScoreFile], effective[ScoreFile]); err != nil {
		problems = append(problems, err)
	} else if err := pipeline.CheckScoreConfig(s.Score); err != nil {
		problems = append(problems, err)
	}
	if s.Comp, err = fs.Sub(mfs, CompDir); err != nil {
		return nil, fmt.Errorf("configuration %s: %w", source, err)
	}
	compPrefix := strings.TrimSuffix(names["comp/assignments.yaml"], "assignments.yaml")
	if compPrefix == "" {
		compPrefix = name(CompDir) + "/"
	}
	cfg, err := comp.CheckConfig(s.Comp, knownKPI)
	if err != nil {
		problems = append(problems, compProblems(err, compPrefix)...)
	}
	if s.KPI != nil && cfg != nil {
		problems = append(problems, crossCheck(s.KPI, cfg, names[KPIFile], compPrefix)...)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Source: source, Problems: problems}
	}
	return s, nil
}

// knownKPI is the payouts job's check of a plan's KPI names: the catalog.
func knownKPI(name string) bool { _, ok := kpi.Lookup(name); return ok }

// compProblems names comp's errors by their place in the configuration.
func compProblems(err error, prefix string) []error {
	var v comp.ValidationErrors
	if !errors.As(err, &v) {
		return []error{fmt.Errorf("%s: %w", strings.TrimSuffix(prefix, "/"), err)}
	}
	out := make([]error, len(v))
	for i, e := range v {
		c := *e
		c.File = prefix + c.File
		out[i] = &c
	}
	return out
}

// crossCheck checks what no single file can: people are paid in kpi.yaml's
// currency (the payouts job gives everyone its currency), so plans and
// adjustments must be in it; a plan metric's attribution model must be one
// kpi.yaml computes, or the metric would never have a value.
func crossCheck(k *kpi.Config, c *comp.Config, kpiName, compPrefix string) []error {
	var out []error
	models := make([]string, len(k.Attribution))
	for i, m := range k.Attribution {
		models[i] = m.Name
	}
	for _, p := range c.Plans {
		file := compPrefix + p.File
		if p.Currency != "" && p.Currency != k.Currency {
			out = append(out, &comp.FieldError{File: file, Path: "currency", Reason: fmt.Sprintf("%s, but %s pays everyone in %s (currency:); no conversion", p.Currency, kpiName, k.Currency)})
		}
		for _, comp1 := range p.Components {
			if comp1.Metric == nil || comp1.Metric.Model == "" {
				continue
			}
			if !slices.Contains(models, comp1.Metric.Model) {
				out = append(out, &comp.FieldError{File: file, Path: "components." + comp1.ID + ".metric.model", Reason: fmt.Sprintf("%s is not an attribution model of %s (attribution.models: %s)", comp1.Metric.Model, kpiName, strings.Join(models, ", "))})
			}
		}
	}
	for _, a := range c.Adjustments {
		if a.Currency != "" && a.Currency != k.Currency {
			out = append(out, &comp.FieldError{File: compPrefix + "adjustments.yaml", Path: a.ID + ".currency", Reason: fmt.Sprintf("%s, but %s pays everyone in %s (currency:)", a.Currency, kpiName, k.Currency)})
		}
	}
	return out
}

// Embedded is the configuration embedded in the binary: the demo's default.
// It is parsed once; callers must not modify it.
func Embedded() *Snapshot {
	embeddedOnce.Do(func() {
		s, err := build("embedded", nil, func(p string) string { return p })
		if err != nil {
			panic(err) // the embedded files are tested
		}
		s.Version = s.Hash[:16] + "@embedded"
		embedded = s
	})
	return embedded
}

var (
	embeddedOnce sync.Once
	embedded     *Snapshot
)

// LoadFS reads and validates a configuration folder in the layout; source
// names it in errors and in the snapshot (name of each file: source/path).
func LoadFS(fsys fs.FS, source string) (*Snapshot, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && ignored(p) {
				return fs.SkipDir
			}
			return nil
		}
		if ignored(p) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		files[p] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("configuration %s: %w", source, err)
	}
	return build(source, files, func(p string) string { return joinName(source, p) })
}

// joinName is how a file of source is named in errors.
func joinName(source, p string) string {
	if strings.HasSuffix(source, "/") {
		return source + p
	}
	return source + "/" + p
}

// describe is a one-line summary of a snapshot for logs and the command.
func (s *Snapshot) describe() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s from %s", s.Version, s.Source)
	if len(s.Defaults) > 0 {
		fmt.Fprintf(&b, " (embedded default for %s)", strings.Join(s.Defaults, ", "))
	}
	if s.Push != nil {
		fmt.Fprintf(&b, ", pushed by %s at %s", s.Push.PushedBy, s.Push.PushedAt.Format(time.RFC3339))
	}
	return b.String()
}

// String implements fmt.Stringer.
func (s *Snapshot) String() string { return s.describe() }

// IsDefault says whether the file at path p comes from the embedded default.
func (s *Snapshot) IsDefault(p string) bool { return slices.Contains(s.Defaults, unitOf(p)) }
