package configstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// s3API is what the store calls on S3.
type s3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// stsAPI names the pusher.
type stsAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// WithS3 reads and writes an s3:// store with client (default: one from
// the SDK's default configuration).
func WithS3(client *s3.Client) Option { return func(o *storeOptions) { o.s3 = client } }

// WithSTS names the pusher of an s3:// store with client's
// GetCallerIdentity (default: one from the SDK's default configuration).
func WithSTS(client *sts.Client) Option { return func(o *storeOptions) { o.sts = client } }

func openS3(ctx context.Context, uri string, o storeOptions) (*Store, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("configuration %q: want s3://bucket/prefix", uri)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if o.s3 == nil || o.sts == nil {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("configuration %s: aws configuration: %w", uri, err)
		}
		if o.s3 == nil {
			o.s3 = s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = os.Getenv("S3_PATH_STYLE") == "true" })
		}
		if o.sts == nil {
			o.sts = sts.NewFromConfig(cfg)
		}
	}
	obj := s3Objects{client: o.s3, bucket: u.Host, prefix: prefix}
	stsClient := o.sts
	who := func(ctx context.Context) (string, error) {
		out, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", fmt.Errorf("who is pushing (sts:GetCallerIdentity): %w", err)
		}
		return aws.ToString(out.Arn), nil
	}
	return &Store{uri: "s3://" + u.Host + "/" + prefix, obj: obj, who: who, now: o.now}, nil
}

// s3Objects is a store under s3://bucket/prefix. The bucket must have
// versioning enabled: a file's version is its S3 object version.
type s3Objects struct {
	client s3API
	bucket string
	prefix string
}

func (o s3Objects) put(ctx context.Context, key string, data []byte) (*s3.PutObjectOutput, error) {
	out, err := o.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &o.bucket, Key: aws.String(o.prefix + key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String(contentType(key)),
	})
	if err != nil {
		return nil, fmt.Errorf("put %s: %w", o.name(key), err)
	}
	return out, nil
}

func contentType(key string) string {
	if strings.HasSuffix(key, ".json") {
		return "application/json"
	}
	return "application/yaml"
}

func (o s3Objects) putVersioned(ctx context.Context, key string, data []byte) (string, error) {
	out, err := o.put(ctx, key, data)
	if err != nil {
		return "", err
	}
	vid := aws.ToString(out.VersionId)
	if vid == "" || vid == "null" {
		return "", fmt.Errorf("put %s: no object version: enable versioning on bucket %s (the template's LakeBucket has it)", o.name(key), o.bucket)
	}
	return vid, nil
}

func (o s3Objects) putPlain(ctx context.Context, key string, data []byte) error {
	_, err := o.put(ctx, key, data)
	return err
}

func (o s3Objects) get(ctx context.Context, key, versionID string) ([]byte, string, error) {
	in := &s3.GetObjectInput{Bucket: &o.bucket, Key: aws.String(o.prefix + key)}
	if versionID != "" {
		in.VersionId = &versionID
	}
	out, err := o.client.GetObject(ctx, in)
	if err != nil {
		var nsk *types.NoSuchKey
		var api smithy.APIError
		if errors.As(err, &nsk) || (errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NoSuchVersion" || api.ErrorCode() == "NotFound")) {
			return nil, "", fmt.Errorf("%s: %w", o.name(key), ErrNotExist)
		}
		return nil, "", fmt.Errorf("get %s: %w", o.name(key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("get %s: %w", o.name(key), err)
	}
	vid := aws.ToString(out.VersionId)
	if vid == "null" {
		vid = ""
	}
	return b, vid, nil
}

func (o s3Objects) list(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(o.client, &s3.ListObjectsV2Input{Bucket: &o.bucket, Prefix: aws.String(o.prefix + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", o.name(prefix), err)
		}
		for _, obj := range page.Contents {
			out = append(out, strings.TrimPrefix(aws.ToString(obj.Key), o.prefix))
		}
	}
	return out, nil
}

func (o s3Objects) name(key string) string { return "s3://" + o.bucket + "/" + o.prefix + key }
