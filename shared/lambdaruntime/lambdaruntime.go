// Package lambdaruntime is a test harness that plays the AWS Lambda service
// for a built bootstrap binary: it serves the Lambda Runtime API
// (2018-06-01) on 127.0.0.1, starts the binary with AWS_LAMBDA_RUNTIME_API
// pointing at it, feeds it events and returns its responses or errors. It
// runs the same binary `sam build` packages, so a test covers the function's
// wiring, config loading and the aws-lambda-go event loop, with no Docker,
// SAM CLI or Runtime Interface Emulator.
//
//	bin := lambdaruntime.Build(t, "./functions/kpi")
//	h := lambdaruntime.Start(t, bin, map[string]string{"RESULTS_TABLE": table})
//	out, err := h.Invoke(ctx, []byte(`{"job":"kpi","mode":"qtd"}`))
//
// Like Lambda, a process that exits (a panic, os.Exit, a failed init) is
// started again for the next invocation (a cold start), and an invocation
// that outlives its timeout kills the process.
package lambdaruntime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FunctionError is a handler error reported through
// /runtime/invocation/{id}/error, as Lambda returns it to an invoker.
type FunctionError struct {
	Type       string   `json:"errorType"`
	Message    string   `json:"errorMessage"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// InitError is an error the runtime reported through /runtime/init/error, or
// a process that exited before taking its invocation.
type InitError struct {
	Type    string
	Message string
	Logs    string // the process's stdout and stderr
}

func (e *InitError) Error() string {
	return fmt.Sprintf("lambda init failed: %s: %s\n--- function logs ---\n%s", e.Type, e.Message, e.Logs)
}

// ErrTimeout is returned by Invoke when the function did not answer before
// its deadline; the process is killed, as Lambda does.
var ErrTimeout = errors.New("lambdaruntime: task timed out")

// Options configure a Harness. The zero value of each field takes the default.
type Options struct {
	FunctionName string        // default "venn-test"
	Timeout      time.Duration // per invocation, sets Lambda-Runtime-Deadline-Ms; default 60s
	MemoryMB     int           // AWS_LAMBDA_FUNCTION_MEMORY_SIZE; default 1024
	Region       string        // AWS_REGION; default "us-east-1"
}

// Harness is a running Lambda Runtime API with one function process.
type Harness struct {
	t      testing.TB
	binary string
	env    map[string]string
	opts   Options
	addr   string
	srv    *http.Server

	invokeMu sync.Mutex // Lambda sends a process one event at a time
	seq      int

	mu      sync.Mutex
	proc    *process
	pending chan *invocation // the event waiting for /next
	current *invocation      // taken by /next, awaiting its answer
	initErr *InitError       // reported by the current process through /init/error
	logs    bytes.Buffer
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // exit status, set before exited closes
}

type invocation struct {
	id       string
	seq      int64 // this harness's count, for the trace id
	event    []byte
	deadline time.Time
	done     chan outcome
}

type outcome struct {
	body []byte
	err  error
}

// Start serves the Runtime API and starts binary with env added to the
// Lambda environment (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
// AWS_REGION, …). The process gets no other variables from the test's
// environment except PATH, so a function that needs one must say so. All is
// stopped when the test ends.
func Start(t testing.TB, binary string, env map[string]string, opts ...Options) *Harness {
	t.Helper()
	h := &Harness{t: t, binary: binary, env: env, pending: make(chan *invocation, 1)}
	if len(opts) > 0 {
		h.opts = opts[0]
	}
	if h.opts.FunctionName == "" {
		h.opts.FunctionName = "venn-test"
	}
	if h.opts.Timeout <= 0 {
		h.opts.Timeout = 60 * time.Second
	}
	if h.opts.MemoryMB <= 0 {
		h.opts.MemoryMB = 1024
	}
	if h.opts.Region == "" {
		h.opts.Region = "us-east-1"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("lambdaruntime: listen: %v", err)
	}
	h.addr = l.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", h.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", h.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", h.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", h.initError)
	h.srv = &http.Server{Handler: mux}
	go h.srv.Serve(l)
	t.Cleanup(h.stop)
	if err := h.startProcess(); err != nil {
		t.Fatal(err)
	}
	return h
}

// Logs returns everything the function processes wrote to stdout and stderr.
func (h *Harness) Logs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs.String()
}

// Invoke sends event to the function and returns its response payload, a
// *FunctionError for a handler error, an *InitError when the process failed
// to start, or ErrTimeout.
func (h *Harness) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	h.invokeMu.Lock()
	defer h.invokeMu.Unlock()
	h.seq++
	// A random version 4 UUID, as Lambda's request ids are: a counter
	// restarted with each harness would hand a fresh function (a retry
	// with a longer timeout, say) an id an earlier one already used, and
	// the run ledger rightly replays a duplicate delivery.
	id := newRequestID()
	deadline := time.Now().Add(h.opts.Timeout)
	// A process that exits before taking the event (it is still winding down
	// after a panic, say) gets a successor, as Lambda re-inits; twice in a
	// row is a broken function.
	for cold := 0; ; cold++ {
		inv := &invocation{id: id, seq: int64(h.seq), event: event, deadline: deadline, done: make(chan outcome, 1)}
		body, taken, err := h.invokeOnce(ctx, inv)
		if taken || cold == 2 {
			return body, err
		}
	}
}

func (h *Harness) invokeOnce(ctx context.Context, inv *invocation) (body []byte, taken bool, err error) {
	h.mu.Lock()
	proc := h.proc
	h.mu.Unlock()
	if proc == nil || isClosed(proc.exited) {
		if err := h.startProcess(); err != nil {
			return nil, true, err
		}
		h.mu.Lock()
		proc = h.proc
		h.mu.Unlock()
	}
	h.pending <- inv
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case o := <-inv.done:
		var ie *InitError
		if errors.As(o.err, &ie) {
			// Let the failing process finish writing its logs.
			select {
			case <-proc.exited:
			case <-time.After(2 * time.Second):
			}
			ie.Logs = h.Logs()
		}
		return o.body, true, o.err
	case <-proc.exited:
		wasTaken := h.drop(inv)
		select {
		case o := <-inv.done: // answered, then exited (e.g. after a panic)
			return o.body, true, o.err
		default:
		}
		h.mu.Lock()
		ie := h.initErr
		h.mu.Unlock()
		if ie != nil {
			ie.Logs = h.Logs()
			return nil, true, ie
		}
		return nil, wasTaken, &InitError{Type: "Runtime.ExitError", Message: fmt.Sprintf("process exited before answering request %s: %v", inv.id, proc.err), Logs: h.Logs()}
	case <-timer.C:
		h.drop(inv)
		h.kill(proc)
		return nil, true, fmt.Errorf("request %s after %s: %w", inv.id, h.opts.Timeout, ErrTimeout)
	case <-ctx.Done():
		h.drop(inv)
		h.kill(proc) // the process may be mid-invocation; start clean next time
		return nil, true, ctx.Err()
	}
}

// drop forgets an invocation that will not be answered and reports whether
// the runtime had taken it.
func (h *Harness) drop(inv *invocation) (taken bool) {
	select {
	case <-h.pending:
		return false
	default:
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.current == inv {
		h.current = nil
	}
	return true
}

func (h *Harness) startProcess() error {
	cmd := exec.Command(h.binary)
	cmd.Dir = filepath.Dir(h.binary) // LAMBDA_TASK_ROOT
	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API":          h.addr,
		"AWS_LAMBDA_FUNCTION_NAME":        h.opts.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(h.opts.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + h.opts.FunctionName,
		"AWS_REGION":                      h.opts.Region,
		"AWS_DEFAULT_REGION":              h.opts.Region,
		"LAMBDA_TASK_ROOT":                cmd.Dir,
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
	}
	for k, v := range h.env {
		env[k] = v
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	w := &lockedWriter{h: h}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lambdaruntime: start %s: %w", h.binary, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	h.mu.Lock()
	h.proc, h.initErr = p, nil
	h.mu.Unlock()
	return nil
}

func (h *Harness) kill(p *process) {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (h *Harness) stop() {
	h.mu.Lock()
	p := h.proc
	h.mu.Unlock()
	if p != nil {
		h.kill(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
	if h.t.Failed() {
		h.t.Logf("function logs:\n%s", h.Logs())
	}
}

// next blocks until an event is queued, then hands it to the runtime.
func (h *Harness) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-h.pending:
		h.mu.Lock()
		h.current = inv
		h.mu.Unlock()
		hd := w.Header()
		hd.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		hd.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		hd.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+h.opts.Region+":123456789012:function:"+h.opts.FunctionName)
		hd.Set("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-"+fmt.Sprintf("%024x", inv.seq)+";Parent=0000000000000001;Sampled=0")
		hd.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.event)
	case <-r.Context().Done():
	}
}

func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// take returns the current invocation if id names it.
func (h *Harness) take(w http.ResponseWriter, id string) *invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	inv := h.current
	if inv == nil || inv.id != id {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"errorType":"InvalidRequestID","errorMessage":"unknown or already answered request id"}`)
		return nil
	}
	h.current = nil
	return inv
}

func (h *Harness) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	inv := h.take(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	switch {
	case err != nil:
		inv.done <- outcome{err: fmt.Errorf("lambdaruntime: reading response of %s: %w", inv.id, err)}
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed midway reports its error in trailers.
		inv.done <- outcome{err: &FunctionError{Type: r.Trailer.Get("Lambda-Runtime-Function-Error-Type"), Message: r.Trailer.Get("Lambda-Runtime-Function-Error-Body")}}
	default:
		inv.done <- outcome{body: body}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (h *Harness) invocationError(w http.ResponseWriter, r *http.Request) {
	fe, err := readError(r)
	inv := h.take(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	if err != nil {
		inv.done <- outcome{err: err}
	} else {
		inv.done <- outcome{err: fe}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (h *Harness) initError(w http.ResponseWriter, r *http.Request) {
	fe, err := readError(r)
	if err != nil {
		fe = &FunctionError{Type: "Runtime.Unknown", Message: err.Error()}
	}
	ie := &InitError{Type: fe.Type, Message: fe.Message}
	h.mu.Lock()
	inv := h.current
	h.current = nil
	h.initErr = ie
	h.mu.Unlock()
	// Lambda fails the pending invocation with the init error; the harness
	// answers the one waiting (or about to be taken) the same way.
	if inv == nil {
		select {
		case inv = <-h.pending:
		default:
		}
	}
	if inv != nil {
		ie.Logs = h.Logs()
		inv.done <- outcome{err: ie}
	}
	w.WriteHeader(http.StatusAccepted)
}

func readError(r *http.Request) (*FunctionError, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: reading error report: %w", err)
	}
	fe := &FunctionError{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, fe); err != nil {
			fe.Message = string(body)
		}
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	return fe, nil
}

type lockedWriter struct{ h *Harness }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.logs.Write(p)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Build compiles the Go main package pkg for this machine into a temporary
// directory that lives as long as the test (see BuildTo) and returns the
// path of its "bootstrap" binary.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out, err := BuildTo(pkg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildTo compiles the Go main package pkg (an import path, or a ./relative
// directory resolved from the working directory) the way the Makefile builds
// a function for Lambda, but for this machine: CGO off, -tags lambda.norpc,
// -trimpath. It writes dir/bootstrap and returns its path. Use it from
// TestMain to build once for many tests.
func BuildTo(pkg, dir string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("lambdaruntime: go build %s: %v\n%s", pkg, err, strings.TrimSpace(string(b)))
	}
	return out, nil
}
