// Package gluefake is an in-memory Glue catalog speaking the Glue wire
// protocol, for tests only (it takes a *testing.T): the gluecatalog adapter's
// tests and the venn command's catalog-sync test drive the real SDK client
// against it.
package gluefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// Why a protocol fake: no Glue-compatible server can be installed here. The
// usual stand-ins (moto, LocalStack) come from PyPI or Docker, which this
// machine cannot reach or run, and nothing on npm or the Go module proxy
// speaks Glue. So the adapter is driven through the REAL SDK client (its
// JSON 1.1 serializers, SigV4 signing, error decoding and retryer) against
// this small server that speaks the Glue wire protocol for the six
// operations the adapter calls (GetTable, CreateTable, UpdateTable with its
// VersionId condition, GetPartition, CreatePartition, UpdatePartition), with in-memory state seeded from the real
// table definitions in infra/glue.yaml. What it cannot show is IAM and
// Glue's own validation beyond what is checked below.

// Wire shapes (Glue API JSON members are PascalCase).
type Column struct {
	Name string `json:"Name"`
	Type string `json:"Type,omitempty"`
}

type SerDe struct {
	SerializationLibrary string            `json:"SerializationLibrary,omitempty"`
	Parameters           map[string]string `json:"Parameters,omitempty"`
}

type Storage struct {
	Columns      []Column `json:"Columns,omitempty"`
	Location     string   `json:"Location,omitempty"`
	InputFormat  string   `json:"InputFormat,omitempty"`
	OutputFormat string   `json:"OutputFormat,omitempty"`
	SerdeInfo    *SerDe   `json:"SerdeInfo,omitempty"`
}

type Table struct {
	Name              string            `json:"Name"`
	Description       string            `json:"Description,omitempty"`
	VersionId         string            `json:"VersionId,omitempty"`
	DatabaseName      string            `json:"DatabaseName"`
	TableType         string            `json:"TableType,omitempty"`
	Parameters        map[string]string `json:"Parameters,omitempty"`
	PartitionKeys     []Column          `json:"PartitionKeys,omitempty"`
	StorageDescriptor *Storage          `json:"StorageDescriptor,omitempty"`
}

type Partition struct {
	Values            []string          `json:"Values"`
	DatabaseName      string            `json:"DatabaseName,omitempty"`
	TableName         string            `json:"TableName,omitempty"`
	StorageDescriptor *Storage          `json:"StorageDescriptor,omitempty"`
	Parameters        map[string]string `json:"Parameters,omitempty"`
}

// Fake is the in-memory Glue catalog of one database.
type Fake struct {
	t        *testing.T
	database string
	Mu       sync.Mutex
	Tables   map[string]Table
	Parts    map[string]Partition // table + "\x00" + values joined by "\x00"
	Calls    []string             // operations in order, including throttled ones
	// Throttle holds, per operation, how many calls still get a
	// ThrottlingException before one is served.
	Throttle map[string]int
	// Lose holds, per operation, how many served calls lose their response:
	// the change is applied, then the connection is closed unanswered.
	Lose map[string]int
	// Before, per operation, runs (once, then is forgotten) just before
	// the call is served, under the lock: another writer acting in between
	// the adapter's read and its write.
	Before map[string]func(f *Fake)
}

// Start serves the tables of infra/glue.yaml for database, with
// ${LakeBucket} and ${LakePrefix} substituted, on 127.0.0.1; it returns the
// fake and its endpoint URL. Requests must be SigV4-signed for region
// eu-west-1. The server stops when the test ends.
func Start(t *testing.T, database, bucket, prefix string) (*Fake, string) {
	t.Helper()
	f := &Fake{t: t, database: database, Tables: map[string]Table{}, Parts: map[string]Partition{}, Throttle: map[string]int{}, Lose: map[string]int{}, Before: map[string]func(*Fake){}}
	for _, tb := range Definitions(t, database, bucket, prefix) {
		tb.VersionId = "1"
		f.Tables[tb.Name] = tb
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSGlue.")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		f.fail(w, "InvalidInputException", fmt.Sprintf("%s %s", r.Method, r.URL.Path))
		return
	case !ok:
		f.fail(w, "UnknownOperationException", "X-Amz-Target "+r.Header.Get("X-Amz-Target"))
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		f.fail(w, "InvalidInputException", "Content-Type "+r.Header.Get("Content-Type"))
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || !strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/glue/aws4_request"):
		f.fail(w, "UnrecognizedClientException", "not signed for glue: "+r.Header.Get("Authorization"))
		return
	}
	var req struct {
		DatabaseName       string
		Name               string
		TableName          string
		PartitionValues    []string
		PartitionValueList []string
		PartitionInput     *Partition
		TableInput         *Table
		VersionId          string
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		f.fail(w, "SerializationException", err.Error())
		return
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls = append(f.Calls, op)
	if f.Throttle[op] > 0 {
		f.Throttle[op]--
		f.fail(w, "ThrottlingException", "Rate exceeded")
		return
	}
	if fn := f.Before[op]; fn != nil {
		delete(f.Before, op)
		fn(f)
	}
	if req.DatabaseName != f.database {
		f.fail(w, "EntityNotFoundException", "Database "+req.DatabaseName+" not found.")
		return
	}
	if op == "CreateTable" {
		f.createTable(w, req.TableInput)
		return
	}
	tableName := req.TableName
	switch op {
	case "GetTable":
		tableName = req.Name
	case "UpdateTable":
		if req.TableInput == nil {
			f.fail(w, "InvalidInputException", "no TableInput")
			return
		}
		tableName = req.TableInput.Name
	}
	table, ok := f.Tables[tableName]
	if !ok {
		f.fail(w, "EntityNotFoundException", "Table "+tableName+" not found.")
		return
	}
	switch op {
	case "GetTable":
		f.reply(w, map[string]any{"Table": table})
	case "UpdateTable":
		// Glue's optimistic concurrency: a VersionId other than the
		// table's current one is a ConcurrentModificationException.
		if req.VersionId != "" && req.VersionId != table.VersionId {
			f.fail(w, "ConcurrentModificationException", "Update table failed due to concurrent modifications.")
			return
		}
		in := *req.TableInput
		if err := validTable(in); err != "" {
			f.fail(w, "InvalidInputException", err)
			return
		}
		if !slices.Equal(in.PartitionKeys, table.PartitionKeys) {
			f.fail(w, "InvalidInputException", "this fake does not change partition keys")
			return
		}
		v, _ := strconv.Atoi(table.VersionId)
		in.DatabaseName, in.VersionId = f.database, strconv.Itoa(v+1)
		f.Tables[tableName] = in
		if f.Lose[op] > 0 {
			f.Lose[op]--
			f.hangUp(w)
			return
		}
		f.reply(w, map[string]any{})
	case "GetPartition":
		p, ok := f.Parts[partKey(tableName, req.PartitionValues)]
		if !ok {
			f.fail(w, "EntityNotFoundException", "Cannot find partition.")
			return
		}
		f.reply(w, map[string]any{"Partition": p})
	case "CreatePartition", "UpdatePartition":
		in := req.PartitionInput
		if in == nil || len(in.Values) != len(table.PartitionKeys) || in.StorageDescriptor == nil {
			f.fail(w, "InvalidInputException", fmt.Sprintf("partition input %+v for keys %v", in, table.PartitionKeys))
			return
		}
		key := partKey(tableName, in.Values)
		_, exists := f.Parts[key]
		if op == "CreatePartition" && exists {
			f.fail(w, "AlreadyExistsException", "Partition already exists.")
			return
		}
		if op == "UpdatePartition" {
			if !slices.Equal(req.PartitionValueList, in.Values) {
				f.fail(w, "InvalidInputException", "this fake does not rename partitions")
				return
			}
			if !exists {
				f.fail(w, "EntityNotFoundException", "Cannot find partition.")
				return
			}
		}
		p := *in
		p.DatabaseName, p.TableName = f.database, tableName
		f.Parts[key] = p
		if f.Lose[op] > 0 {
			f.Lose[op]--
			f.hangUp(w)
			return
		}
		f.reply(w, map[string]any{})
	default:
		f.fail(w, "UnknownOperationException", op)
	}
}

func (f *Fake) createTable(w http.ResponseWriter, in *Table) {
	if in == nil {
		f.fail(w, "InvalidInputException", "no TableInput")
		return
	}
	if err := validTable(*in); err != "" {
		f.fail(w, "InvalidInputException", err)
		return
	}
	if _, exists := f.Tables[in.Name]; exists {
		f.fail(w, "AlreadyExistsException", "Table already exists.")
		return
	}
	tb := *in
	tb.DatabaseName, tb.VersionId = f.database, "1"
	f.Tables[tb.Name] = tb
	if f.Lose["CreateTable"] > 0 {
		f.Lose["CreateTable"]--
		f.hangUp(w)
		return
	}
	f.reply(w, map[string]any{})
}

// validTable checks what Glue checks of a table input (a name, lower case
// as Glue stores it; columns with types; no column twice), and that the
// input carries the storage a partition will copy.
func validTable(in Table) string {
	if in.Name == "" || in.Name != strings.ToLower(in.Name) {
		return fmt.Sprintf("table name %q", in.Name)
	}
	sd := in.StorageDescriptor
	if sd == nil || sd.Location == "" || sd.SerdeInfo == nil || len(sd.Columns) == 0 {
		return fmt.Sprintf("table %s: storage descriptor %+v", in.Name, sd)
	}
	seen := map[string]bool{}
	for _, c := range append(slices.Clone(sd.Columns), in.PartitionKeys...) {
		if c.Name == "" || c.Type == "" || seen[c.Name] {
			return fmt.Sprintf("table %s: column %+v (empty or repeated)", in.Name, c)
		}
		seen[c.Name] = true
	}
	return ""
}

// table returns a table (copied), or false.
func (f *Fake) Table(name string) (Table, bool) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	t, ok := f.Tables[name]
	return t, ok
}

// hangUp closes the connection without a response, as a network failure
// after the server applied the call would.
func (f *Fake) hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.t.Errorf("glue fake: hijack: %v", err)
		return
	}
	conn.Close()
}

func partKey(table string, values []string) string {
	return table + "\x00" + strings.Join(values, "\x00")
}

func (f *Fake) reply(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if err := json.NewEncoder(w).Encode(body); err != nil {
		f.t.Errorf("glue fake: %v", err)
	}
}

// fail answers the way Glue does: 400, the error type in X-Amzn-ErrorType
// and __type, and a message.
func (f *Fake) fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": msg})
}

// partition returns a registered partition (copied), or false.
func (f *Fake) Partition(table string, values ...string) (Partition, bool) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	p, ok := f.Parts[partKey(table, values)]
	return p, ok
}

// takeCalls returns the operations served since the last call and forgets them.
func (f *Fake) TakeCalls() []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	c := f.Calls
	f.Calls = nil
	return c
}

// glueYAMLTable is a table resource of infra/glue.yaml. The CloudFormation
// tags (!Sub, !Ref) decode as their plain string values.
type glueYAMLTable struct {
	Type       string `yaml:"Type"`
	Properties struct {
		TableInput struct {
			Name          string            `yaml:"Name"`
			Description   string            `yaml:"Description"`
			TableType     string            `yaml:"TableType"`
			Parameters    map[string]string `yaml:"Parameters"`
			PartitionKeys []struct {
				Name string `yaml:"Name"`
				Type string `yaml:"Type"`
			} `yaml:"PartitionKeys"`
			StorageDescriptor struct {
				Location     string `yaml:"Location"`
				InputFormat  string `yaml:"InputFormat"`
				OutputFormat string `yaml:"OutputFormat"`
				SerdeInfo    struct {
					SerializationLibrary string            `yaml:"SerializationLibrary"`
					Parameters           map[string]string `yaml:"Parameters"`
				} `yaml:"SerdeInfo"`
				Columns []struct {
					Name string `yaml:"Name"`
					Type string `yaml:"Type"`
				} `yaml:"Columns"`
			} `yaml:"StorageDescriptor"`
		} `yaml:"TableInput"`
	} `yaml:"Properties"`
}

// Definitions reads every AWS::Glue::Table of infra/glue.yaml as Glue
// would hold it once deployed in database with LakeBucket bucket and
// LakePrefix prefix.
func Definitions(t *testing.T, database, bucket, prefix string) []Table {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "infra", "glue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]glueYAMLTable `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("infra/glue.yaml: %v", err)
	}
	sub := strings.NewReplacer("${LakeBucket}", bucket, "${LakePrefix}", prefix)
	var out []Table
	for id, r := range doc.Resources {
		if r.Type != "AWS::Glue::Table" {
			continue
		}
		in := r.Properties.TableInput
		if in.Name == "" || in.StorageDescriptor.Location == "" {
			t.Fatalf("infra/glue.yaml %s: no name or location", id)
		}
		tb := Table{Name: in.Name, Description: in.Description, DatabaseName: database, TableType: in.TableType, Parameters: in.Parameters,
			StorageDescriptor: &Storage{
				Location: sub.Replace(in.StorageDescriptor.Location), InputFormat: in.StorageDescriptor.InputFormat,
				OutputFormat: in.StorageDescriptor.OutputFormat,
				SerdeInfo:    &SerDe{SerializationLibrary: in.StorageDescriptor.SerdeInfo.SerializationLibrary, Parameters: in.StorageDescriptor.SerdeInfo.Parameters},
			}}
		for _, k := range in.PartitionKeys {
			tb.PartitionKeys = append(tb.PartitionKeys, Column{k.Name, k.Type})
		}
		for _, c := range in.StorageDescriptor.Columns {
			tb.StorageDescriptor.Columns = append(tb.StorageDescriptor.Columns, Column{c.Name, c.Type})
		}
		out = append(out, tb)
	}
	slices.SortFunc(out, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	return out
}
