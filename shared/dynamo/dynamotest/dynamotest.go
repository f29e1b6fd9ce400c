// Package dynamotest runs a real DynamoDB-compatible server (dynalite, from
// scripts/node) on 127.0.0.1 for integration tests, and a fault-injecting
// proxy in front of it for the failures DynamoDB produces in production but
// dynalite never does: lost responses and UnprocessedItems.
package dynamotest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/venn-revops/venn/scripts/node/nodebin"
	"github.com/venn-revops/venn/shared/dynamo"
)

// Server is a running dynalite, killed when the test ends.
type Server struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:41234".
	Endpoint string
}

// Start launches dynalite (in memory) on a free port and waits until it
// answers ListTables. Without dynalite installed the test is skipped loudly,
// or fails under CI=true. Under -short (the quick loop) it skips: these are
// integration tests that start a server.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against dynalite: skipped under -short")
	}
	bin := nodebin.Find(t, "dynalite")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--host", "127.0.0.1",
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dynalite %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	client := s.Client()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("dynalite on port %d did not answer: %v\n%s", port, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client returns an SDK client for the server with static credentials.
func (s *Server) Client(opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return NewClient(s.Endpoint, opts...)
}

// NewClient returns a real SDK client for a local endpoint: fixed region,
// static credentials, BaseEndpoint.
func NewClient(endpoint string, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		// The SDK's standard retryer, with short backoff: the server is local
		// and tests must not idle.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 20 * time.Millisecond
		}),
	}, opts...)
}

var tableSeq atomic.Int64

// NewTable creates a fresh results table (dynamo.CreateTable) with a unique
// name and returns the name.
func (s *Server) NewTable(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("venn-test-%d-%d", os.Getpid(), tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamo.CreateTable(ctx, s.Client(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Proxy forwards DynamoDB requests to a Server and injects faults on demand.
// Requests pass through unchanged unless a fault is armed.
type Proxy struct {
	// Endpoint is the proxy's base URL; point a client at it.
	Endpoint string

	upstream string
	mu       sync.Mutex
	drop     map[string]int // operation → responses still to drop
	unproc   int            // BatchWriteItem calls still to half-process
	cut      map[string]int // operation → responses still to cut off mid-body
	calls    map[string]int
}

// NewProxy starts a proxy in front of s, closed when the test ends.
func NewProxy(t testing.TB, s *Server) *Proxy {
	p := &Proxy{upstream: s.Endpoint, drop: map[string]int{}, cut: map[string]int{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.Endpoint = srv.URL
	return p
}

// DropResponses makes the next n calls of op (e.g. "PutItem") reach the
// server and take effect, then lose their response: the connection closes
// before the client hears back, as when a network path fails mid-call.
func (p *Proxy) DropResponses(op string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop[op] += n
}

// CutOffResponses makes the next n calls of op reach the server and take
// effect, then send their response headers (with the full Content-Length and
// checksum) and only half the body before the connection closes: the client
// reads "unexpected EOF" mid-body.
func (p *Proxy) CutOffResponses(op string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut[op] += n
}

// Unprocess makes the next n BatchWriteItem calls write only the first half
// of their items and return the rest as UnprocessedItems, as DynamoDB does
// under throttling or partition pressure.
func (p *Proxy) Unprocess(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unproc += n
}

// Calls returns how many requests for op reached the proxy.
func (p *Proxy) Calls(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.calls[op]++
	drop := p.drop[op] > 0
	if drop {
		p.drop[op]--
	}
	cut := p.cut[op] > 0
	if cut {
		p.cut[op]--
	}
	unproc := op == "BatchWriteItem" && p.unproc > 0
	if unproc {
		p.unproc--
	}
	p.mu.Unlock()

	var held json.RawMessage
	var table string
	if unproc {
		body, table, held, err = splitBatch(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if drop {
		hijackAndClose(w)
		return
	}
	if unproc && resp.StatusCode == http.StatusOK {
		out, err = json.Marshal(map[string]any{"UnprocessedItems": map[string]json.RawMessage{table: held}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	// The SDK checks the body's CRC32 against this header.
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.StatusCode)
	if cut {
		_, _ = w.Write(out[:len(out)/2])
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // closes the connection short of Content-Length
	}
	_, _ = w.Write(out)
}

// splitBatch keeps the first half of the (single-table) request and returns
// the rest to hand back as unprocessed.
func splitBatch(body []byte) ([]byte, string, json.RawMessage, error) {
	var in struct {
		RequestItems map[string][]json.RawMessage
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.RequestItems) != 1 {
		return nil, "", nil, fmt.Errorf("dynamotest: cannot split BatchWriteItem request: %v", err)
	}
	for table, reqs := range in.RequestItems {
		keep := (len(reqs) + 1) / 2
		held, err := json.Marshal(reqs[keep:])
		if err != nil {
			return nil, "", nil, err
		}
		in.RequestItems[table] = reqs[:keep]
		b, err := json.Marshal(in)
		return b, table, held, err
	}
	panic("unreachable")
}

// hijackAndClose ends the exchange without a response.
func hijackAndClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("dynamotest: hijack: %v", err))
	}
	_ = conn.Close()
}
