package callerid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/pipeline"
)

// Handler is a job's Lambda handler over raw payloads (pipeline.Env.Handler).
type Handler = func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error)

// FunctionURL serves the approve job behind a Lambda Function URL with
// AuthType AWS_IAM. Lambda has verified the request's SigV4 signature and
// put the signer in requestContext.authorizer.iam; that principal,
// normalised (comp.IdentityFromARN), is the caller handed to next
// (pipeline.WithCaller), and the request body is the approve event.
//
// A direct invoke carries no caller and is refused: approvals are human
// acts, and nothing automated (no schedule, no state machine) approves.
// The function cannot tell a genuine Function URL request from a direct
// invoke whose payload imitates one, so lambda:InvokeFunction outside the
// Function URL must be granted to nobody (docs/runbook.md).
//
// Answers: 200 with the job's result; 400 for a request that is not an
// approve event; 403 without an IAM caller or when approvals.yaml refuses;
// 409 when a statement's state forbids the move (final, approved by
// someone else, not approved) or a dispute's state the action (an illegal
// transition, a stale version, no such dispute); 400 for a dispute request
// that cannot be right (an unknown line, no text, an adjustment of zero). Any other failure is returned as the
// invocation's error (the client gets 502; the log and the function's
// error alarm have the cause).
func FunctionURL(next Handler) Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var probe struct {
			RequestContext json.RawMessage `json:"requestContext"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil || len(probe.RequestContext) == 0 {
			return nil, fmt.Errorf("approve: %w (this invocation is not a Function URL request)", pipeline.ErrNoCaller)
		}
		var req events.LambdaFunctionURLRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return respond(http.StatusBadRequest, fmt.Errorf("approve: not a Function URL request: %w", err))
		}
		if m := req.RequestContext.HTTP.Method; m != http.MethodPost {
			return respond(http.StatusMethodNotAllowed, fmt.Errorf("approve: method %s: POST the approve event as the body", m))
		}
		caller, err := FromFunctionURL(req)
		if err != nil {
			return respond(http.StatusForbidden, err)
		}
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
				return respond(http.StatusBadRequest, fmt.Errorf("approve: body: %w", err))
			}
		}
		if _, err := pipeline.ParseEvent(body, "approve"); err != nil {
			return respond(http.StatusBadRequest, err)
		}
		out, err := next(pipeline.WithCaller(ctx, caller), body)
		switch {
		case err == nil:
			return respondJSON(http.StatusOK, out)
		case errors.Is(err, comp.ErrApprovalRefused) || errors.Is(err, pipeline.ErrNoCaller):
			return respond(http.StatusForbidden, err)
		case errors.Is(err, comp.ErrDisputeInvalid):
			return respond(http.StatusBadRequest, err)
		case errors.Is(err, comp.ErrStaleAcknowledgement), errors.Is(err, comp.ErrNotOnPlan):
			return respond(http.StatusConflict, err)
		case errors.Is(err, statementstore.ErrFinal), errors.Is(err, statementstore.ErrAlreadyApproved),
			errors.Is(err, statementstore.ErrNotApproved), errors.Is(err, statementstore.ErrNotFound),
			errors.Is(err, comp.ErrDisputeTransition), errors.Is(err, statementstore.ErrStaleDispute), errors.Is(err, statementstore.ErrNoDispute):
			return respond(http.StatusConflict, err)
		}
		return nil, err
	}
}

// FromFunctionURL is the verified caller of a Function URL request: the
// IAM principal Lambda authenticated (AuthType AWS_IAM). A request without
// one (a URL with AuthType NONE) is refused.
func FromFunctionURL(req events.LambdaFunctionURLRequest) (comp.Identity, error) {
	a := req.RequestContext.Authorizer
	if a == nil || a.IAM == nil || a.IAM.UserARN == "" {
		return comp.Identity{}, fmt.Errorf("approve: %w (the request has no IAM principal: the Function URL must use AuthType AWS_IAM and the request be signed with SigV4)", pipeline.ErrNoCaller)
	}
	id, err := comp.IdentityFromARN(a.IAM.UserARN)
	if err != nil {
		return comp.Identity{}, fmt.Errorf("approve: %w", err)
	}
	if a.IAM.AccountID != "" && a.IAM.AccountID != id.Account {
		return comp.Identity{}, fmt.Errorf("approve: caller %s: the request's account %s is not the ARN's", a.IAM.UserARN, a.IAM.AccountID)
	}
	return id, nil
}

func respond(status int, err error) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]string{"error": err.Error()})
	return respondJSON(status, body)
}

func respondJSON(status int, body []byte) (json.RawMessage, error) {
	return json.Marshal(events.LambdaFunctionURLResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)})
}
