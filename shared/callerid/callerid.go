// Package callerid finds who is calling, for the approve job, which records
// the caller as the approver (pipeline.WithCaller) and never takes a name
// from the request:
//   - in Lambda, the IAM principal of a Function URL request signed with
//     SigV4 (AuthType AWS_IAM): FunctionURL;
//   - for the venn command on AWS storage, STS GetCallerIdentity with the
//     command's own credentials: FromSTS;
//   - for the venn command on a local folder, the OS user: Local. Local
//     trust only: a local results file is that user's own, and nothing
//     stops them from editing it.
package callerid

import (
	"context"
	"fmt"
	"os/user"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/venn-revops/venn/shared/comp"
)

// LocalUserEnv names the variable that makes a local run act as another
// local user (local:<name>): how a test, or one person demonstrating four
// eyes on a laptop, plays two people. It is read by Local only, so it has
// no effect on AWS storage, where the caller is always STS's answer.
const LocalUserEnv = "VENN_LOCAL_USER"

// Local is the user of a local run: VENN_LOCAL_USER when set, else the OS
// user (os/user, then $USER).
func Local(getenv func(string) string) (comp.Identity, error) {
	if name := getenv(LocalUserEnv); name != "" {
		id, err := comp.LocalIdentity(name)
		if err != nil {
			return comp.Identity{}, fmt.Errorf("%s: %w", LocalUserEnv, err)
		}
		return id, nil
	}
	name := getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	// A Windows account is DOMAIN\user; the user is who.
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return comp.Identity{}, fmt.Errorf("no local user: the OS reports none and USER is empty; set %s", LocalUserEnv)
	}
	return comp.LocalIdentity(name)
}

// STSClient is the one call FromSTS makes (*sts.Client).
type STSClient interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// FromSTS asks STS who the command's credentials are (GetCallerIdentity
// needs no permission) and normalises the ARN (comp.IdentityFromARN).
func FromSTS(ctx context.Context, c STSClient) (comp.Identity, error) {
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return comp.Identity{}, fmt.Errorf("caller identity (STS GetCallerIdentity): %w", err)
	}
	return comp.IdentityFromARN(aws.ToString(out.Arn))
}

// ForStorage is the caller of a venn command: with AWS storage (awsCfg
// set: the results in DynamoDB), who STS says the command's credentials
// are; with a local folder, the local user.
func ForStorage(ctx context.Context, awsCfg *aws.Config, getenv func(string) string) (comp.Identity, error) {
	if awsCfg != nil {
		return FromSTS(ctx, sts.NewFromConfig(*awsCfg))
	}
	return Local(getenv)
}
