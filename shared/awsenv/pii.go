package awsenv

import (
	"context"
	"fmt"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/pipeline"
)

// LoadPII sets env.PII for a job that compares values with the lake's
// hashed ones (approve matches the caller's email to CRM users): the key
// from PII_SECRET_ARN, or VENN_PII_KEY without it; none leaves env.PII
// without a key, and the job refuses what it would need the key for.
func LoadPII(ctx context.Context, c Config, cl *Clients, env *pipeline.Env, getenv func(string) string) error {
	key := getenv("VENN_PII_KEY")
	if c.PIISecretARN != "" {
		var err error
		if key, err = (secretReader{cl.Secrets}).SecretString(ctx, c.PIISecretARN); err != nil {
			return fmt.Errorf("PII key: %w", err)
		}
	}
	env.PII = lake.PII{Key: []byte(key), Clear: c.PIIClear}
	if err := env.PII.Validate(nil); err != nil {
		return fmt.Errorf("PII configuration: %w", err)
	}
	return nil
}
