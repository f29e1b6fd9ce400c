// Package gluecatalog points AWS Glue partitions at the lake's committed run
// folders, so Athena reads exactly what a manifest committed.
//
// Athena reads every file under a partition's location and knows nothing of
// Venn's manifests (PITFALLS: Athena). So after each manifest commit the job
// registers the partition with its location set to the committed
// run=<run-id>/ folder: created the first time, updated when a rerun
// supersedes the night (the partition moves to the new folder). The tables
// themselves are declared by infra/glue.yaml, and follow the committed
// snapshot schemas (tables.go: extra columns appended, configured objects'
// tables created); a partition copies its table's StorageDescriptor
// (columns, SerDe, formats) with its own location, as Athena's ALTER TABLE
// ADD PARTITION does.
package gluecatalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/venn-revops/venn/shared/awsretry"
	"github.com/venn-revops/venn/shared/lake"
)

// Partition parameters recording which commit a partition shows, for
// operators (GetPartition) and so a late registration of an older commit
// never moves a partition back to a superseded run folder.
const (
	ParamManifest = "venn.manifest"
	ParamSequence = "venn.sequence"
	ParamRunID    = "venn.run_id"
)

// Catalog registers committed partitions in one Glue database. It implements
// pipeline.Catalog.
type Catalog struct {
	client   *glue.Client
	database string
	// bucket and prefix, when set (WithLake), are checked against each
	// table's location, so a catalog deployed over another bucket or prefix
	// than the one the job writes fails loudly instead of pointing Athena at
	// folders that do not exist.
	bucket, prefix string
	logger         *slog.Logger
}

// Option configures a Catalog.
type Option func(*Catalog)

// WithLake names the lake the job writes (LAKE_BUCKET, LAKE_PREFIX); each
// partition location must then be s3://bucket/prefix<run folder>/.
func WithLake(bucket, prefix string) Option {
	return func(c *Catalog) {
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/" // as s3store.New
		}
		c.bucket, c.prefix = bucket, prefix
	}
}

// WithLogger logs each partition created, moved or left alone.
func WithLogger(l *slog.Logger) Option { return func(c *Catalog) { c.logger = l } }

// New returns a Catalog over database. Build the client with Retryer.
func New(client *glue.Client, database string, opts ...Option) *Catalog {
	c := &Catalog{client: client, database: database, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Retryer is the retryer for the Glue client of a Catalog:
//
//	glue.NewFromConfig(cfg, func(o *glue.Options) { o.Retryer = gluecatalog.Retryer() })
//
// Glue's catalog API throttles at a few calls per second per account
// (ThrottlingException), and a nightly fan-out of extracts registers its
// partitions at about the same moment. The standard retryer already retries
// throttling, but with 3 attempts and a client-wide quota that sustained
// throttling drains; a nightly batch would rather wait. It also retries
// ConcurrentModificationException, Glue's answer when two writers touch the
// same table at once.
func Retryer() aws.Retryer {
	return awsretry.Batch(10, 10*time.Second, "ConcurrentModificationException")
}

// Register points every partition of m (see Targets) at m's committed run
// folder: CreatePartition, or on AlreadyExistsException UpdatePartition.
// It is idempotent, and never moves a partition back to an older commit
// than the one it shows. Call it only after m's commit succeeded.
func (c *Catalog) Register(ctx context.Context, m *lake.Manifest) error {
	targets, err := Targets(m)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := c.point(ctx, m, t); err != nil {
			return err
		}
	}
	return nil
}

// point registers one partition.
func (c *Catalog) point(ctx context.Context, m *lake.Manifest, t Target) error {
	where := fmt.Sprintf("glue table %s.%s partition %s", c.database, t.Table, t.Spec())
	table, err := c.ensureTable(ctx, m, t, where)
	if err != nil {
		return err
	}
	if err := checkKeys(table.PartitionKeys, t.Keys); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	loc, err := c.location(aws.ToString(table.StorageDescriptor.Location), t)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	where += " at " + loc

	sd := *table.StorageDescriptor // the table's columns, SerDe and formats
	sd.Location = &loc
	input := &types.PartitionInput{
		Values:            t.Values,
		StorageDescriptor: &sd,
		Parameters: map[string]string{
			ParamManifest: m.Key(),
			ParamSequence: strconv.Itoa(m.Sequence),
			ParamRunID:    m.RunID,
		},
	}
	_, err = c.client.CreatePartition(ctx, &glue.CreatePartitionInput{DatabaseName: &c.database, TableName: &t.Table, PartitionInput: input})
	if err == nil {
		c.logger.InfoContext(ctx, "glue partition created", "table", t.Table, "partition", t.Spec(), "location", loc, "manifest", m.Key())
		return nil
	}
	if _, exists := errors.AsType[*types.AlreadyExistsException](err); !exists {
		return fmt.Errorf("%s: create: %w", where, err)
	}

	// A rerun, a retried invocation, or a registration that lost a race.
	got, err := c.client.GetPartition(ctx, &glue.GetPartitionInput{DatabaseName: &c.database, TableName: &t.Table, PartitionValues: t.Values})
	if err != nil {
		return fmt.Errorf("%s: exists, but cannot be read: %w", where, err)
	}
	current := got.Partition
	curLoc := ""
	if current != nil && current.StorageDescriptor != nil {
		curLoc = aws.ToString(current.StorageDescriptor.Location)
	}
	if current != nil {
		if seq, err := strconv.Atoi(current.Parameters[ParamSequence]); err == nil && seq > m.Sequence {
			c.logger.InfoContext(ctx, "glue partition already shows a newer commit", "table", t.Table, "partition", t.Spec(),
				"location", curLoc, "manifest", current.Parameters[ParamManifest], "skipped", m.Key())
			return nil
		}
		if curLoc == loc && current.Parameters[ParamManifest] == m.Key() && slices.EqualFunc(current.StorageDescriptor.Columns, sd.Columns, sameColumn) {
			return nil // already registered: nothing to write
		}
	}
	_, err = c.client.UpdatePartition(ctx, &glue.UpdatePartitionInput{DatabaseName: &c.database, TableName: &t.Table, PartitionValueList: t.Values, PartitionInput: input})
	if err != nil {
		return fmt.Errorf("%s: update (from %s): %w", where, curLoc, err)
	}
	c.logger.InfoContext(ctx, "glue partition moved", "table", t.Table, "partition", t.Spec(), "from", curLoc, "location", loc, "manifest", m.Key())
	return nil
}

// location is the run folder under the table's location; with WithLake it
// must also be where the job wrote it.
func (c *Catalog) location(tableLoc string, t Target) (string, error) {
	base, ok := strings.CutSuffix(strings.TrimSuffix(tableLoc, "/")+"/", t.Root)
	if !ok || !strings.HasPrefix(base, "s3://") {
		return "", fmt.Errorf("table location %q does not end with the lake path %s", tableLoc, t.Root)
	}
	loc := base + t.Folder + "/"
	if c.bucket != "" {
		if want := "s3://" + c.bucket + "/" + c.prefix + t.Folder + "/"; loc != want {
			return "", fmt.Errorf("table location %q is not under the lake s3://%s/%s the job writes (LAKE_BUCKET, LAKE_PREFIX): the run folder is %s", tableLoc, c.bucket, c.prefix, want)
		}
	}
	return loc, nil
}

// checkKeys compares the table's partition keys with the partition path's.
func checkKeys(cols []types.Column, keys []string) error {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = aws.ToString(col.Name)
	}
	if !slices.Equal(names, keys) {
		return fmt.Errorf("the table's partition keys are %v, the lake path has %v", names, keys)
	}
	return nil
}

func sameColumn(a, b types.Column) bool {
	return aws.ToString(a.Name) == aws.ToString(b.Name) && aws.ToString(a.Type) == aws.ToString(b.Type)
}
