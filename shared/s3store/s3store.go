// Package s3store is the S3 adapter of the lake: it implements lake.Blob over
// one bucket and key prefix with aws-sdk-go-v2.
//
// Writes go through feature/s3/manager, which uploads an *os.File (or any
// io.ReaderAt+io.Seeker) part by part straight from the file; the newer
// transfermanager buffers (Concurrency+1)×PartSize even for files
// (aws-sdk-go-v2#3453), which a 1 GB Lambda cannot afford. The SDK's standard
// retryer retries 503 SlowDown and 5xx; this package adds what the SDK cannot
// know: a conditional PUT retried after a lost response, and a GET body cut
// short mid-stream.
package s3store

//lint:file-ignore SA1019 feature/s3/manager is deprecated in favour of transfermanager, which buffers (Concurrency+1)×PartSize even for files (aws-sdk-go-v2#3453); see the package doc.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/venn-revops/venn/shared/awsretry"
	"github.com/venn-revops/venn/shared/lake"
)

// Store is a lake.Blob over s3://bucket/prefix.
type Store struct {
	client   *s3.Client
	uploader *manager.Uploader
	bucket   string
	prefix   string // "" or ending in "/"
	kmsKeyID string
	// rereads bounds how often one read resumes a body cut short.
	rereads int
}

var _ lake.Blob = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithKMSKey makes every write SSE-KMS with keyID (an id, ARN or alias), with
// an S3 Bucket Key to cut KMS requests. The bucket's default encryption does
// the same; sending it per request makes a misconfigured bucket fail loudly
// instead of writing with the wrong key.
func WithKMSKey(keyID string) Option { return func(s *Store) { s.kmsKeyID = keyID } }

// WithUpload sets the multipart part size (at least 5 MiB; larger objects are
// uploaded in parts) and how many parts upload at once. Memory use is about
// partSize×concurrency for a plain io.Reader, and nothing extra for a file.
func WithUpload(partSize int64, concurrency int) Option {
	return func(s *Store) {
		s.uploader.PartSize = max(partSize, manager.MinUploadPartSize)
		if concurrency > 0 {
			s.uploader.Concurrency = concurrency
		}
	}
}

// New returns a Store over bucket, with keys under prefix ("" for the bucket
// root; a missing trailing "/" is added).
func New(client *s3.Client, bucket, prefix string, opts ...Option) *Store {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	s := &Store{
		client: client,
		uploader: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = 8 << 20
			u.Concurrency = 4
		}),
		bucket:  bucket,
		prefix:  prefix,
		rereads: 3,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Store) fullKey(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains("/"+key+"/", "/../") || strings.Contains(key, "//") {
		return "", fmt.Errorf("s3store: invalid key %q", key)
	}
	return s.prefix + key, nil
}

func (s *Store) where(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

func (s *Store) sse() (types.ServerSideEncryption, *string, *bool) {
	if s.kmsKeyID == "" {
		return "", nil, nil
	}
	return types.ServerSideEncryptionAwsKms, aws.String(s.kmsKeyID), aws.Bool(true)
}

// Put implements lake.Blob. An *os.File is uploaded part by part from disk;
// any other reader is buffered one part at a time.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	full, err := s.fullKey(key)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &full, Body: r}
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = s.sse()
	if _, err := s.uploader.Upload(ctx, in); err != nil {
		return fmt.Errorf("s3store: put %s: %w", s.where(key), err)
	}
	return nil
}

// PutIfAbsent implements lake.Blob with If-None-Match: *. A 412 whose stored
// object is byte-identical to body counts as success: the SDK resends a PUT
// whose response was lost, and the resend then finds our own first write.
func (s *Store) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	full, err := s.fullKey(key)
	if err != nil {
		return err
	}
	// 409 ConditionalRequestConflict: a concurrent conditional write to the
	// same key was in flight. S3 asks the caller to retry; the retry then
	// succeeds or meets the winner's object (412).
	for conflicts := 0; ; conflicts++ {
		in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &full, Body: bytes.NewReader(body), IfNoneMatch: aws.String("*"), ContentLength: aws.Int64(int64(len(body)))}
		in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = s.sse()
		_, err = s.client.PutObject(ctx, in)
		if err == nil {
			return nil
		}
		if status(err) != http.StatusConflict || conflicts == 3 {
			break
		}
		if serr := awsretry.Sleep(ctx, time.Duration(50<<conflicts)*time.Millisecond); serr != nil {
			return fmt.Errorf("s3store: put-if-absent %s: %w", s.where(key), err)
		}
	}
	if status(err) != http.StatusPreconditionFailed {
		return fmt.Errorf("s3store: put-if-absent %s: %w", s.where(key), err)
	}
	rc, gerr := s.Get(ctx, key)
	if gerr != nil {
		if errors.Is(gerr, lake.ErrNotExist) {
			return fmt.Errorf("s3store: put-if-absent %s: conflict, yet the object is absent: %w", s.where(key), err)
		}
		return fmt.Errorf("s3store: put-if-absent %s: exists; reading it back to compare: %w", s.where(key), gerr)
	}
	stored, gerr := io.ReadAll(rc)
	rc.Close()
	if gerr != nil {
		return fmt.Errorf("s3store: put-if-absent %s: exists; reading it back to compare: %w", s.where(key), gerr)
	}
	if bytes.Equal(stored, body) {
		return nil
	}
	return lake.ErrExists
}

// Get implements lake.Blob. The body resumes with a ranged GET (pinned to the
// first response's ETag) when the connection drops mid-stream.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &full})
	if err != nil {
		return nil, s.readErr("get", key, err)
	}
	return &resumingBody{s: s, ctx: ctx, key: key, full: full, etag: aws.ToString(out.ETag),
		size: aws.ToInt64(out.ContentLength), body: out.Body}, nil
}

// Open implements lake.Blob: the size from HEAD, then one ranged GET per
// ReadAt, each pinned to the HEAD's ETag so a replaced object fails instead
// of mixing two versions into one Parquet file.
func (s *Store) Open(ctx context.Context, key string) (io.ReaderAt, int64, io.Closer, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return nil, 0, nil, err
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &full})
	if err != nil {
		return nil, 0, nil, s.readErr("open", key, err)
	}
	r := &rangeReader{s: s, ctx: ctx, key: key, full: full, etag: aws.ToString(head.ETag), size: aws.ToInt64(head.ContentLength)}
	return r, r.size, io.NopCloser(nil), nil
}

// List implements lake.Blob with the ListObjectsV2 paginator.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix)})
	var keys []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3store: list %s: %w", s.where(prefix), err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	// S3 lists in UTF-8 binary order already; S3-compatible servers may not.
	sort.Strings(keys)
	return keys, nil
}

func (s *Store) readErr(op, key string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) || status(err) == http.StatusNotFound {
		return fmt.Errorf("s3store: %s %s: %w", op, s.where(key), lake.ErrNotExist)
	}
	if status(err) == http.StatusForbidden {
		// S3 answers 403, not 404, for a missing key when the caller may not
		// list the bucket: the usual cause of a surprising AccessDenied here.
		return fmt.Errorf("s3store: %s %s: access denied (if the object may not exist, the role also needs s3:ListBucket for this prefix): %w", op, s.where(key), err)
	}
	return fmt.Errorf("s3store: %s %s: %w", op, s.where(key), err)
}

// getRange fetches [off, off+n) of the object version named by etag.
func (s *Store) getRange(ctx context.Context, full, etag string, off, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &full, Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return http.StatusPreconditionFailed
	}
	return 0
}

// resumingBody is a GET body that, when the stream breaks before size bytes,
// re-GETs the rest with a Range request (a bounded number of times).
type resumingBody struct {
	s         *Store
	ctx       context.Context
	key, full string
	etag      string
	size, off int64
	body      io.ReadCloser
	resumed   int
}

func (b *resumingBody) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		b.off += int64(n)
		if err == nil || (err == io.EOF && b.off >= b.size) {
			return n, err
		}
		if err == io.EOF { // the server closed early without an error
			err = io.ErrUnexpectedEOF
		}
		// Without a known size there is no range to resume.
		if b.resumed >= b.s.rereads || b.ctx.Err() != nil || b.size <= 0 {
			return n, fmt.Errorf("s3store: get %s: body cut short at byte %d of %d: %w", b.s.where(b.key), b.off, b.size, err)
		}
		b.resumed++
		b.body.Close()
		body, gerr := b.s.getRange(b.ctx, b.full, b.etag, b.off, b.size-b.off)
		if gerr != nil {
			return n, fmt.Errorf("s3store: get %s: resuming at byte %d after %v: %w", b.s.where(b.key), b.off, err, gerr)
		}
		b.body = body
		if n > 0 {
			return n, nil
		}
	}
}

func (b *resumingBody) Close() error { return b.body.Close() }

// rangeReader is the io.ReaderAt of Open.
type rangeReader struct {
	s         *Store
	ctx       context.Context
	key, full string
	etag      string
	size      int64
}

// ReadAt reads len(p) bytes at off with ranged GETs, resuming a short body.
func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("s3store: read %s at negative offset %d", r.s.where(r.key), off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	var got int64
	for attempt := 0; got < want; attempt++ {
		body, err := r.s.getRange(r.ctx, r.full, r.etag, off+got, want-got)
		if err != nil {
			return int(got), fmt.Errorf("s3store: read %s bytes %d-%d: %w", r.s.where(r.key), off+got, off+want-1, err)
		}
		n, err := io.ReadFull(body, p[got:want])
		body.Close()
		got += int64(n)
		if err != nil && got < want && attempt >= r.s.rereads {
			return int(got), fmt.Errorf("s3store: read %s bytes %d-%d: body cut short: %w", r.s.where(r.key), off+got, off+want-1, err)
		}
	}
	if want < int64(len(p)) {
		return int(want), io.EOF
	}
	return int(want), nil
}

var _ lake.Deleter = (*Store)(nil)

// maxDeleteKeys is the most keys one DeleteObjects request takes.
const maxDeleteKeys = 1000

// Delete implements lake.Deleter with DeleteObjects, up to 1,000 keys a
// request. In the versioned lake bucket a delete adds a delete marker; the
// data stays restorable until the noncurrent-version lifecycle expires it.
// A key that fails (the response lists it) fails the call, naming it.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), maxDeleteKeys)
		ids := make([]types.ObjectIdentifier, n)
		for i, key := range keys[:n] {
			full, err := s.fullKey(key)
			if err != nil {
				return err
			}
			ids[i] = types.ObjectIdentifier{Key: aws.String(full)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &s.bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("s3store: delete %d keys from %s (first %s): %w", n, s.where(""), keys[0], err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("s3store: delete %s: %s: %s (%d keys failed)", s.where(strings.TrimPrefix(aws.ToString(e.Key), s.prefix)), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors))
		}
		keys = keys[n:]
	}
	return nil
}
