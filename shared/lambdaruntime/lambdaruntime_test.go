package lambdaruntime_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/lambdaruntime"
)

// echoBin is testdata/echo, built once for all tests (the build is the slow part).
var echoBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // each test skips: they build and run a binary
	}
	dir, err := os.MkdirTemp("", "lambdaruntime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin, err = lambdaruntime.BuildTo("./testdata/echo", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func echo(t *testing.T) string {
	if testing.Short() {
		t.Skip("builds and runs a Lambda bootstrap: skipped under -short")
	}
	return echoBin
}

type reply struct {
	Text        string `json:"text"`
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	HasDeadline bool   `json:"hasDeadline"`
	DeadlineMs  int64  `json:"deadlineMs"`
	LakeBucket  string `json:"lakeBucket"`
	Function    string `json:"function"`
	TraceID     string `json:"traceId"`
	Pid         int    `json:"pid"`
}

func invoke(t *testing.T, h *lambdaruntime.Harness, event string) reply {
	t.Helper()
	out, err := h.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	var r reply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response %q: %v", out, err)
	}
	return r
}

func TestInvokeResponses(t *testing.T) {
	h := lambdaruntime.Start(t, echo(t), map[string]string{"LAKE_BUCKET": "venn-lake"},
		lambdaruntime.Options{FunctionName: "venn-kpi", Timeout: 30 * time.Second})
	before := time.Now()
	first := invoke(t, h, `{"op":"echo","text":"hello"}`)
	second := invoke(t, h, `{"op":"echo","text":"again"}`)

	if first.Text != "HELLO" || second.Text != "AGAIN" {
		t.Fatalf("payloads: %+v %+v", first, second)
	}
	if first.RequestID == "" || first.RequestID == second.RequestID {
		t.Fatalf("request ids %q %q", first.RequestID, second.RequestID)
	}
	// A second harness (a retry with another timeout) must not reuse an
	// id: the run ledger would replay the first one's stored result.
	other := lambdaruntime.Start(t, echo(t), nil, lambdaruntime.Options{FunctionName: "venn-kpi", Timeout: 30 * time.Second})
	third := invoke(t, other, `{"op":"echo","text":"x"}`)
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, id := range []string{first.RequestID, second.RequestID, third.RequestID} {
		if !uuid4.MatchString(id) {
			t.Errorf("request id %q is not a version 4 UUID", id)
		}
	}
	if third.RequestID == first.RequestID || third.RequestID == second.RequestID {
		t.Fatalf("a new harness reused request id %q", third.RequestID)
	}
	if first.FunctionARN != "arn:aws:lambda:us-east-1:123456789012:function:venn-kpi" || first.Function != "venn-kpi" {
		t.Fatalf("function identity: %+v", first)
	}
	if first.LakeBucket != "venn-lake" {
		t.Fatalf("env not passed: %+v", first)
	}
	if !strings.HasPrefix(first.TraceID, "Root=1-") {
		t.Fatalf("trace id %q", first.TraceID)
	}
	// The deadline is the configured timeout from the invoke.
	lo, hi := before.Add(30*time.Second).UnixMilli(), time.Now().Add(30*time.Second).UnixMilli()
	if !first.HasDeadline || first.DeadlineMs < lo || first.DeadlineMs > hi {
		t.Fatalf("deadline %d outside [%d, %d]", first.DeadlineMs, lo, hi)
	}
	if first.Pid != second.Pid {
		t.Fatalf("warm invocations ran in different processes: %d, %d", first.Pid, second.Pid)
	}
}

func TestInvokeErrors(t *testing.T) {
	h := lambdaruntime.Start(t, echo(t), nil)
	warm := invoke(t, h, `{"op":"echo"}`)

	_, err := h.Invoke(context.Background(), []byte(`{"op":"fail","text":"quarter"}`))
	var fe *lambdaruntime.FunctionError
	if !errors.As(err, &fe) || fe.Type != "ValidationError" || fe.Message != "invalid field quarter" {
		t.Fatalf("handler error: %#v", err)
	}
	if r := invoke(t, h, `{"op":"echo"}`); r.Pid != warm.Pid {
		t.Fatal("a handler error must not restart the process")
	}

	// A panic is reported, the process exits, and the next invoke cold-starts.
	_, err = h.Invoke(context.Background(), []byte(`{"op":"panic","text":"x"}`))
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "boom: x") {
		t.Fatalf("panic: %#v", err)
	}
	if r := invoke(t, h, `{"op":"echo","text":"after"}`); r.Pid == warm.Pid || r.Text != "AFTER" {
		t.Fatalf("after a panic: %+v (warm pid %d)", r, warm.Pid)
	}

	// Malformed event JSON is the runtime's error, not a hang.
	if _, err := h.Invoke(context.Background(), []byte(`{"op":`)); !errors.As(err, &fe) {
		t.Fatalf("bad event: %#v", err)
	}
}

func TestTimeoutKillsAndRecovers(t *testing.T) {
	h := lambdaruntime.Start(t, echo(t), nil, lambdaruntime.Options{Timeout: 300 * time.Millisecond})
	_, err := h.Invoke(context.Background(), []byte(`{"op":"sleep"}`))
	if !errors.Is(err, lambdaruntime.ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if r := invoke(t, h, `{"op":"echo","text":"ok"}`); r.Text != "OK" {
		t.Fatalf("after timeout: %+v", r)
	}
}

func TestInitError(t *testing.T) {
	h := lambdaruntime.Start(t, echo(t), map[string]string{"FAIL_INIT": "1"})
	_, err := h.Invoke(context.Background(), []byte(`{"op":"echo"}`))
	var ie *lambdaruntime.InitError
	if !errors.As(err, &ie) || ie.Type != "Config.Invalid" || ie.Message != "RESULTS_TABLE is required" {
		t.Fatalf("want the reported init error, got %#v", err)
	}
	if !strings.Contains(ie.Logs, "init failed") {
		t.Fatalf("init error without the function's logs: %q", ie.Logs)
	}
}
