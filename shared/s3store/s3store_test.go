package s3store_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/s3store"
	"github.com/venn-revops/venn/shared/s3store/blobtest"
)

const bucket = "venn-lake-test"

// faultyS3 is a real S3 protocol server (gofakes3, in process, over HTTP on
// 127.0.0.1) behind a handler that records requests and injects the
// failures S3 produces in production: 503 SlowDown, a lost response, a GET
// body cut short.
type faultyS3 struct {
	real http.Handler

	mu       sync.Mutex
	slowDown int // next requests answered 503 SlowDown
	dropPut  int // next PUTs applied, then their response lost
	cutGet   int // next GETs answered with half their body
	conflict int // next conditional PUTs answered 409 ConditionalRequestConflict
	requests []recorded
}

type recorded struct {
	method, path, query string
	header              http.Header
}

func (f *faultyS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone()})
	slow := f.slowDown > 0
	if slow {
		f.slowDown--
	}
	drop := !slow && r.Method == http.MethodPut && f.dropPut > 0
	if drop {
		f.dropPut--
	}
	conflict := !slow && r.Method == http.MethodPut && r.Header.Get("If-None-Match") != "" && f.conflict > 0
	if conflict {
		f.conflict--
	}
	cut := !slow && r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && f.cutGet > 0
	if cut {
		f.cutGet--
	}
	f.mu.Unlock()

	switch {
	case slow:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case conflict:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation is currently in progress against this resource.</Message></Error>`)
	case drop:
		f.real.ServeHTTP(httptest.NewRecorder(), r) // takes effect
		closeWithout(w, nil, nil)
	case cut:
		rec := httptest.NewRecorder()
		f.real.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code/100 != 2 || len(body) < 2 {
			copyResponse(w, rec)
			return
		}
		closeWithout(w, rec, body[:len(body)/2])
	default:
		f.real.ServeHTTP(w, r)
	}
}

// arm sets a fault counter.
func (f *faultyS3) arm(counter *int, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*counter = n
}

// count returns how many requests match method and a query substring.
func (f *faultyS3) count(method, query string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.method == method && strings.Contains(r.query, query) {
			n++
		}
	}
	return n
}

func (f *faultyS3) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *faultyS3) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// closeWithout writes rec's status and headers (with the full
// Content-Length) and only part of the body, then drops the connection; with
// rec nil it drops the connection before any response.
func closeWithout(w http.ResponseWriter, rec *httptest.ResponseRecorder, part []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	if rec == nil {
		return
	}
	writeRaw(buf, rec, part)
}

func writeRaw(buf *bufio.ReadWriter, rec *httptest.ResponseRecorder, part []byte) {
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	h := rec.Header().Clone()
	h.Set("Content-Length", fmt.Sprint(rec.Body.Len()))
	h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(part)
	buf.Flush()
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// newS3 starts gofakes3 with the bucket and returns a real SDK client for it.
func newS3(t *testing.T) (*s3.Client, *faultyS3) {
	f := &faultyS3{real: gofakes3.New(s3mem.New()).Server()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.MaxBackoff = 20 * time.Millisecond
		}),
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	f.reset()
	return client, f
}

func TestConformance(t *testing.T) {
	client, f := newS3(t)
	blobtest.Run(t, s3store.New(client, bucket, "venn", s3store.WithUpload(5<<20, 2)))
	// The large object went up in parts: 11 MiB in 5 MiB parts is 3 parts.
	if n := f.count(http.MethodPut, "partNumber="); n != 3 {
		t.Errorf("uploaded %d parts, want 3", n)
	}
}

// The retention sweep against the S3 server, with a pinned clock: the
// deletes go through DeleteObjects.
func TestSweep(t *testing.T) {
	client, f := newS3(t)
	blobtest.RunSweep(t, s3store.New(client, bucket, "venn"))
	if n := f.count(http.MethodPost, "delete"); n == 0 {
		t.Error("no DeleteObjects request")
	}
}

func TestSSEKMSHeaders(t *testing.T) {
	client, f := newS3(t)
	s := s3store.New(client, bucket, "", s3store.WithKMSKey("alias/venn-lake"), s3store.WithUpload(5<<20, 2))
	ctx := context.Background()
	if err := s.Put(ctx, "kpi/a", strings.NewReader("small")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "kpi/_manifest.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "kpi/big", bytes.NewReader(blobtest.Bytes(6<<20, 1))); err != nil {
		t.Fatal(err)
	}
	var checked int
	for _, r := range f.recorded() {
		// Encryption is set where an object is created: PutObject and
		// CreateMultipartUpload (UploadPart must not carry it).
		if r.method == http.MethodPut && !strings.Contains(r.query, "partNumber") || r.method == http.MethodPost && strings.Contains(r.query, "uploads") {
			checked++
			if r.header.Get("X-Amz-Server-Side-Encryption") != "aws:kms" ||
				r.header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "alias/venn-lake" ||
				r.header.Get("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled") != "true" {
				t.Errorf("%s %s?%s without SSE-KMS headers: %v", r.method, r.path, r.query, r.header)
			}
		}
	}
	if checked != 3 {
		t.Fatalf("checked %d object-creating requests, want 3", checked)
	}
}

func TestSlowDownRetried(t *testing.T) {
	client, f := newS3(t)
	s := s3store.New(client, bucket, "")
	f.arm(&f.slowDown, 2)
	if err := s.Put(context.Background(), "crm/x", strings.NewReader("payload")); err != nil {
		t.Fatalf("503 SlowDown twice must be retried: %v", err)
	}
	if n := f.count(http.MethodPut, ""); n != 3 {
		t.Fatalf("PUTs = %d, want 3", n)
	}
	f.arm(&f.slowDown, 10) // more than the retryer's attempts: fail, naming the object
	err := s.Put(context.Background(), "crm/y", strings.NewReader("payload"))
	if err == nil || !strings.Contains(err.Error(), "s3://"+bucket+"/crm/y") || !strings.Contains(err.Error(), "SlowDown") {
		t.Fatalf("want a SlowDown error naming the object, got %v", err)
	}
}

func TestPutIfAbsentLostResponse(t *testing.T) {
	client, f := newS3(t)
	s := s3store.New(client, bucket, "lake/")
	ctx := context.Background()
	key := "crm/snapshot/object=Lead/dt=2026-11-20/_manifest.json"
	manifest := []byte(`{"run":"r1"}`)
	f.arm(&f.dropPut, 1)
	if err := s.PutIfAbsent(ctx, key, manifest); err != nil {
		t.Fatalf("the resend after a lost response finds our own manifest: want success, got %v", err)
	}
	if n := f.count(http.MethodPut, ""); n != 2 {
		t.Fatalf("PUTs = %d, want 2 (lost, then resent and answered 412)", n)
	}
	f.arm(&f.dropPut, 1)
	if err := s.PutIfAbsent(ctx, key, []byte(`{"run":"r2"}`)); !errors.Is(err, lake.ErrExists) {
		t.Fatalf("another run's manifest: want ErrExists, got %v", err)
	}
}

func TestPutIfAbsentConflictRetried(t *testing.T) {
	client, f := newS3(t)
	s := s3store.New(client, bucket, "")
	ctx := context.Background()
	f.arm(&f.conflict, 2)
	if err := s.PutIfAbsent(ctx, "kpi/_manifest-000001.json", []byte("m1")); err != nil {
		t.Fatalf("409 twice, then free: want success, got %v", err)
	}
	if n := f.count(http.MethodPut, ""); n != 3 {
		t.Fatalf("PUTs = %d, want 3", n)
	}
	f.arm(&f.conflict, 1)
	if err := s.PutIfAbsent(ctx, "kpi/_manifest-000001.json", []byte("m2")); !errors.Is(err, lake.ErrExists) {
		t.Fatalf("409, then the winner's object: want ErrExists, got %v", err)
	}
	f.arm(&f.conflict, 100)
	if err := s.PutIfAbsent(ctx, "kpi/_manifest-000002.json", []byte("m3")); err == nil || errors.Is(err, lake.ErrExists) || !strings.Contains(err.Error(), "ConditionalRequestConflict") {
		t.Fatalf("persistent 409: want a conflict error, got %v", err)
	}
	f.arm(&f.conflict, 0)
}

func TestGetCutShortIsReread(t *testing.T) {
	client, f := newS3(t)
	s := s3store.New(client, bucket, "")
	ctx := context.Background()
	data := blobtest.Bytes(1<<20+3, 9)
	if err := s.Put(ctx, "crm/part-00000.parquet", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	f.reset()
	f.arm(&f.cutGet, 1)
	rc, err := s.Get(ctx, "crm/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after a cut body: %d bytes, %v", len(got), err)
	}
	if n := f.count(http.MethodGet, ""); n != 2 {
		t.Fatalf("GETs = %d, want 2 (cut, then the rest by range)", n)
	}

	f.arm(&f.cutGet, 1)
	ra, size, closer, err := s.Open(ctx, "crm/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	p := make([]byte, 300000)
	if n, err := ra.ReadAt(p, size-int64(len(p))); n != len(p) || err != nil || !bytes.Equal(p, data[len(data)-len(p):]) {
		t.Fatalf("ReadAt after a cut body: %d, %v", n, err)
	}

	f.arm(&f.cutGet, 100) // every re-read is cut too: fail loudly, never return short data silently
	rc, err = s.Get(ctx, "crm/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), "body cut short") {
		t.Fatalf("want a cut-short error, got %v", err)
	}
}

func TestPrefixesAreSeparate(t *testing.T) {
	client, _ := newS3(t)
	ctx := context.Background()
	prod, dev := s3store.New(client, bucket, "prod"), s3store.New(client, bucket, "dev/")
	for _, k := range []string{"crm/a", "kpi/b"} {
		if err := prod.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dev.Put(ctx, "crm/z", strings.NewReader("z")); err != nil {
		t.Fatal(err)
	}
	got, err := prod.List(ctx, "")
	if err != nil || !slices.Equal(got, []string{"crm/a", "kpi/b"}) {
		t.Fatalf("prod list %q, %v", got, err)
	}
	if _, err := dev.Get(ctx, "crm/a"); !errors.Is(err, lake.ErrNotExist) {
		t.Fatalf("dev sees prod's object: %v", err)
	}
}

func TestInvalidKeys(t *testing.T) {
	client, _ := newS3(t)
	s := s3store.New(client, bucket, "")
	for _, key := range []string{"", "/abs", "crm/../etc", "..", "crm//x"} {
		if err := s.Put(context.Background(), key, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "invalid key") {
			t.Errorf("key %q: want invalid key, got %v", key, err)
		}
	}
}
