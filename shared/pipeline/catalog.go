package pipeline

import (
	"context"
	"fmt"

	"github.com/venn-revops/venn/shared/lake"
)

// Catalog registers committed partitions with the BI catalog (AWS Glue), so
// Athena reads exactly the committed run folder of each partition: Athena
// reads every file under a partition's location and knows nothing of
// manifests. Env.Catalog is nil for local runs (DuckDB and the demo read
// through manifests).
type Catalog interface {
	// Register points the partition of m at m's committed run folder,
	// creating or updating it. It must be idempotent.
	Register(ctx context.Context, m *lake.Manifest) error
}

// register is called only after a commit succeeded. A failure is an error
// of the run: the data is committed and a rerun registers it again.
func (e *Env) register(ctx context.Context, ms ...*lake.Manifest) error {
	if e.Catalog == nil {
		return nil
	}
	for _, m := range ms {
		if m == nil {
			continue
		}
		if err := e.Catalog.Register(ctx, m); err != nil {
			return fmt.Errorf("catalog: register %s: %w", m.Partition, err)
		}
	}
	return nil
}
