// Command echo is a tiny Lambda function for the harness's own tests: it
// answers with what it saw of the event, the invocation context and its
// environment, or fails in the way the event asks.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op   string `json:"op"`
	Text string `json:"text"`
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

// ValidationError is a handler error with its own type name.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid field " + e.Field }

func handle(ctx context.Context, ev event) (reply, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, ok := ctx.Deadline()
	switch ev.Op {
	case "fail":
		return reply{}, &ValidationError{Field: ev.Text}
	case "panic":
		panic("boom: " + ev.Text)
	case "sleep":
		time.Sleep(time.Hour)
	}
	return reply{
		Text:        strings.ToUpper(ev.Text),
		RequestID:   lc.AwsRequestID,
		FunctionARN: lc.InvokedFunctionArn,
		HasDeadline: ok,
		DeadlineMs:  deadline.UnixMilli(),
		LakeBucket:  os.Getenv("LAKE_BUCKET"),
		Function:    lambdacontext.FunctionName,
		TraceID:     os.Getenv("_X_AMZN_TRACE_ID"),
		Pid:         os.Getpid(),
	}, nil
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		// What a runtime does when its init fails: report, then exit.
		body := `{"errorType":"Config.Invalid","errorMessage":"RESULTS_TABLE is required"}`
		resp, err := http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		fmt.Fprintln(os.Stderr, "init failed: RESULTS_TABLE is required")
		os.Exit(1)
	}
	lambda.Start(handle)
}
