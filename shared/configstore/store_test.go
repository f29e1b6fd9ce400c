package configstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/venn-revops/venn/shared/configstore"
)

const pusherARN = "arn:aws:sts::123456789012:assumed-role/RevOpsAdmin/jane.doe@example.com"

// s3Server is a real S3-protocol server (gofakes3 over HTTP on 127.0.0.1,
// as shared/s3store's tests use it) with one bucket, versioned or not,
// counting GETs; and an STS endpoint answering GetCallerIdentity, the one
// call the store makes to STS (no STS server runs here).
type s3Server struct {
	s3   *s3.Client
	sts  *sts.Client
	gets atomic.Int64
}

func startS3(t *testing.T, bucket string, versioned bool) *s3Server {
	t.Helper()
	srv := &s3Server{}
	fake := gofakes3.New(s3mem.New()).Server()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			srv.gets.Add(1)
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	srv.s3 = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true, Credentials: creds})
	ctx := context.Background()
	if _, err := srv.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := srv.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	stsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "Action=GetCallerIdentity") {
			http.Error(w, "only GetCallerIdentity", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`+pusherARN+`</Arn><UserId>AROAEXAMPLE:jane.doe@example.com</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(stsSrv.Close)
	srv.sts = sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(stsSrv.URL), Credentials: creds})
	return srv
}

// clock is a push clock that ticks a second per call.
func clock() func() time.Time {
	t := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

// TestPushAndRead pushes two sets and a rollback to a local store and an S3
// store, and reads each back as the jobs do.
func TestPushAndRead(t *testing.T) {
	ctx := context.Background()
	stores := []struct {
		name  string
		open  func(t *testing.T) (*configstore.Store, *s3Server)
		who   string
		local bool
	}{
		{"local folder", func(t *testing.T) (*configstore.Store, *s3Server) {
			s, err := configstore.Open(ctx, t.TempDir(), configstore.WithClock(clock()))
			if err != nil {
				t.Fatal(err)
			}
			return s, nil
		}, "", true},
		{"s3 with versioning", func(t *testing.T) (*configstore.Store, *s3Server) {
			srv := startS3(t, "venn-config-test", true)
			s, err := configstore.Open(ctx, "s3://venn-config-test/prod/config", configstore.WithS3(srv.s3), configstore.WithSTS(srv.sts), configstore.WithClock(clock()))
			if err != nil {
				t.Fatal(err)
			}
			return s, srv
		}, pusherARN, false},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store, srv := st.open(t)
			// Before any push: the embedded default, saying so.
			first, err := store.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if first.Hash != configstore.Embedded().Hash || !strings.Contains(first.Source, "nothing pushed yet") {
				t.Fatalf("empty store: %s", first)
			}

			v1 := t.TempDir()
			writeDefault(t, v1)
			rec1 := push(t, store, v1)
			v2 := t.TempDir()
			writeDefault(t, v2)
			edit(t, v2, "kpi.yaml", `{quarter: 2026Q3, dimension: org, key: all, bookings: "1500000.00"`, `{quarter: 2026Q3, dimension: org, key: all, bookings: "1200000.00"`)
			rec2 := push(t, store, v2)

			if rec1.Hash != configstore.Embedded().Hash {
				t.Errorf("push of the default's copy: hash %s, the embedded default's %s", rec1.Hash, configstore.Embedded().Hash)
			}
			if rec2.Previous != rec1.Version || rec1.Previous != "" {
				t.Errorf("previous versions: %q then %q, want \"\" then %q", rec1.Previous, rec2.Previous, rec1.Version)
			}
			want := st.who
			if st.local {
				want = osUserName(t)
			}
			if rec2.PushedBy != want || rec2.PushedAt.IsZero() || rec2.Version != rec2.Hash[:16]+"@"+rec2.ID {
				t.Errorf("push record: by %q at %s version %s; want by %q", rec2.PushedBy, rec2.PushedAt, rec2.Version, want)
			}
			for _, f := range rec2.Files {
				if f.VersionID == "" || f.SHA256 == "" {
					t.Errorf("%s: no version id or hash in the push record", f.Path)
				}
			}

			cur, err := store.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Version != rec2.Version || cur.Push == nil || cur.Push.ID != rec2.ID {
				t.Fatalf("current %s, want %s", cur, rec2.Version)
			}
			tg := cur.KPI.Targets[0]
			if tg.Quarter.String() != "2026Q3" || tg.Dimension != "org" || tg.Bookings.String() != "1200000" {
				t.Errorf("current target %+v, want the pushed 2026Q3 org bookings 1200000", tg)
			}

			// Read again with nothing pushed: one small GET (current.json),
			// the same snapshot.
			if srv != nil {
				before := srv.gets.Load()
				again, err := store.Current(ctx)
				if err != nil || again != cur {
					t.Fatalf("unchanged store read again: %v, %v (want the cached snapshot)", again, err)
				}
				if n := srv.gets.Load() - before; n != 1 {
					t.Errorf("reading an unchanged store made %d GETs, want 1 (current.json)", n)
				}
			}

			// Half a push (a file written, current.json not yet): readers
			// still see the whole previous set.
			halfPush(t, store, srv, []byte("version: 1\nnot: a valid kpi file\n"))
			if still, err := store.Current(ctx); err != nil || still.Version != rec2.Version {
				t.Fatalf("during a push: %v, %v; want %s", still, err, rec2.Version)
			}

			// Rollback: push the older folder again. Same content as the
			// first push, a new version (a new push), and its audit record.
			rec3 := push(t, store, v1)
			if rec3.Hash != rec1.Hash || rec3.Version == rec1.Version || rec3.Previous != rec2.Version {
				t.Errorf("rollback: hash %s version %s previous %s; first push %s %s", rec3.Hash, rec3.Version, rec3.Previous, rec1.Hash, rec1.Version)
			}
			back, err := store.Current(ctx)
			if err != nil || back.Version != rec3.Version || !back.KPI.Targets[0].Bookings.Equal(first.KPI.Targets[0].Bookings) {
				t.Fatalf("after the rollback: %v, %v", back, err)
			}
			hist, err := store.History(ctx)
			if err != nil || len(hist) != 3 || hist[0].ID != rec1.ID || hist[2].ID != rec3.ID {
				t.Fatalf("history: %d records, %v", len(hist), err)
			}
		})
	}
}

func push(t *testing.T, store *configstore.Store, dir string) *configstore.PushRecord {
	t.Helper()
	snap, files, err := configstore.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Push(context.Background(), snap, dir, files)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// halfPush writes a new kpi.yaml where a push writes it, without the rest.
func halfPush(t *testing.T, store *configstore.Store, srv *s3Server, body []byte) {
	t.Helper()
	if srv != nil {
		u := strings.TrimPrefix(store.URI(), "s3://")
		bucket, prefix, _ := strings.Cut(u, "/")
		if _, err := srv.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(prefix + "kpi.yaml"), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		return
	}
	write(t, store.URI(), "_versions/kpi.yaml/0123456789abcdef", body)
}

func osUserName(t *testing.T) string {
	t.Helper()
	snapDir := t.TempDir()
	s, err := configstore.Open(context.Background(), snapDir)
	if err != nil {
		t.Fatal(err)
	}
	v := t.TempDir()
	writeDefault(t, v)
	return push(t, s, v).PushedBy
}

// A bucket without versioning cannot hold versioned sets: the push says
// what to fix and leaves nothing in force.
func TestPushRefusesUnversionedBucket(t *testing.T) {
	ctx := context.Background()
	srv := startS3(t, "plain", false)
	store, err := configstore.Open(ctx, "s3://plain/config", configstore.WithS3(srv.s3), configstore.WithSTS(srv.sts))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeDefault(t, dir)
	snap, files, err := configstore.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Push(ctx, snap, dir, files); err == nil || !strings.Contains(err.Error(), "enable versioning on bucket plain") {
		t.Fatalf("push to an unversioned bucket: %v", err)
	}
	if _, err := srv.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("config/current.json")}); err == nil {
		t.Error("current.json was written by a refused push")
	}
}

// A store folder is not a folder to edit, and a folder with files is not a
// store to push to.
func TestFolderRoles(t *testing.T) {
	ctx := context.Background()
	store := t.TempDir()
	s, err := configstore.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeDefault(t, src)
	push(t, s, src)
	if _, _, err := configstore.ReadFolder(store); err == nil || !strings.Contains(err.Error(), "it is a store") {
		t.Errorf("ReadFolder of a store: %v", err)
	}
	plain, err := configstore.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	snap, files, _ := configstore.ReadFolder(src)
	if _, err := plain.Push(ctx, snap, src, files); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Errorf("push into a configuration folder: %v", err)
	}
	if _, err := configstore.Open(ctx, filepath.Join(store, "typo")); err == nil {
		t.Error("Open of a missing folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(store, "typo")); !os.IsNotExist(err) {
		t.Error("Open created a folder")
	}
	var rec configstore.PushRecord
	b, err := os.ReadFile(filepath.Join(store, "current.json"))
	if err != nil || json.Unmarshal(b, &rec) != nil || len(rec.Files) == 0 {
		t.Fatalf("current.json: %s, %v", b, err)
	}
}
