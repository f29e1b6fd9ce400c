package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Query runs a SOQL query through the REST API and calls fn with each
// record's raw JSON object, page by page, following nextRecordsUrl to the
// end. record is valid only during the call. An error from fn stops the
// query and is returned wrapped.
func (c *Client) Query(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error) {
	return c.query(ctx, "query", soql, fn)
}

// QueryAll is Query through /queryAll: soft-deleted records (IsDeleted =
// true) are included. Hard-deleted records (CampaignMember,
// OpportunitySplit) never are.
func (c *Client) QueryAll(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error) {
	return c.query(ctx, "queryAll", soql, fn)
}

// Count runs SELECT COUNT() FROM ... and returns the count.
func (c *Client) Count(ctx context.Context, soql string) (int64, error) {
	var st Stats
	resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.dataPath("query?q=" + url.QueryEscape(soql))})
	if err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	p, err := decodePage(resp.body, nil)
	if err != nil {
		return 0, fmt.Errorf("salesforce: count: %w", err)
	}
	return p.totalSize, nil
}

func (c *Client) dataPath(rest string) string {
	return "/services/data/" + c.cfg.APIVersion + "/" + rest
}

func (c *Client) query(ctx context.Context, resource, soql string, fn func([]byte) error) (Stats, error) {
	var st Stats
	var header http.Header
	if c.cfg.PageSize > 0 {
		header = http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(c.cfg.PageSize)}}
	}
	path := c.dataPath(resource + "?q=" + url.QueryEscape(soql))
	var total int64
	for path != "" {
		resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: path, header: header})
		if err != nil {
			return st, fmt.Errorf("salesforce: %s page %d: %w", resource, st.Pages+1, err)
		}
		st.Pages++
		p, err := decodePage(resp.body, func(rec []byte) error {
			st.Records++
			return fn(rec)
		})
		if err != nil {
			return st, fmt.Errorf("salesforce: %s page %d: %w", resource, st.Pages, err)
		}
		total = p.totalSize
		path = p.next
	}
	if int64(st.Records) != total {
		// Records deleted while the query was paged are left out of later
		// pages; worth knowing, not worth failing the run over.
		c.log.Warn("salesforce query returned a different number of records than totalSize", "resource", resource, "records", st.Records, "totalSize", total)
	}
	return st, nil
}

type page struct {
	totalSize int64
	done      bool
	next      string
}

// decodePage streams one query response: each element of "records" goes
// to fn as raw JSON (never decoded into maps), the other members are read
// for paging. fn nil skips the records.
func decodePage(body []byte, fn func([]byte) error) (page, error) {
	var p page
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return p, fmt.Errorf("query response is not a JSON object: %.120q", body)
	}
	seenDone := false
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return p, fmt.Errorf("query response: %w", err)
		}
		switch name.String() {
		case "totalSize":
			v, err := dec.ReadToken()
			if err == nil && v.Kind() == '0' {
				p.totalSize, err = v.Int()
			}
			if err != nil || v.Kind() != '0' {
				return p, errors.New("query response: totalSize is not a whole number")
			}
		case "done":
			v, err := dec.ReadToken()
			if err != nil || (v.Kind() != 't' && v.Kind() != 'f') {
				return p, errors.New("query response: done is not a boolean")
			}
			p.done, seenDone = v.Bool(), true
		case "nextRecordsUrl":
			v, err := dec.ReadToken()
			if err != nil || v.Kind() != '"' {
				return p, errors.New("query response: nextRecordsUrl is not a string")
			}
			p.next = v.String()
		case "records":
			if err := decodeRecords(dec, fn); err != nil {
				return p, err
			}
		default:
			if err := dec.SkipValue(); err != nil {
				return p, fmt.Errorf("query response: %w", err)
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return p, fmt.Errorf("query response: %w", err)
	}
	switch {
	case !seenDone:
		return p, errors.New("query response has no done flag")
	case !p.done && p.next == "":
		return p, errors.New("query response is not done but has no nextRecordsUrl")
	case p.done:
		p.next = ""
	}
	return p, nil
}

func decodeRecords(dec *jsontext.Decoder, fn func([]byte) error) error {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return errors.New("query response: records is not an array")
	}
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return fmt.Errorf("query response: record: %w", err)
		}
		if v.Kind() != '{' {
			return fmt.Errorf("query response: a record is a JSON %v, not an object", v.Kind())
		}
		if fn != nil {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	_, err := dec.ReadToken()
	return err
}

// Describe is the part of an object's describe result Venn uses.
type Describe struct {
	Name   string          `json:"name"`
	Fields []DescribeField `json:"fields"`
}

// DescribeField is one field: its API name and Salesforce type (id,
// reference, string, picklist, boolean, date, datetime, currency, percent,
// int, double, email, phone, ...).
type DescribeField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Label    string `json:"label"`
	Nillable bool   `json:"nillable"`
	Custom   bool   `json:"custom"`
}

// Field returns the named field.
func (d *Describe) Field(name string) (DescribeField, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return DescribeField{}, false
}

// Describe returns the fields of object.
func (c *Client) Describe(ctx context.Context, object string) (*Describe, error) {
	var st Stats
	resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.dataPath("sobjects/" + url.PathEscape(object) + "/describe")})
	if err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	var d Describe
	if err := json.Unmarshal(resp.body, &d); err != nil {
		return nil, fmt.Errorf("salesforce: describe %s: %w", object, err)
	}
	return &d, nil
}

// Limits reads the org's daily API allocation (GET limits): requests used
// and the maximum. It also refreshes the numbers the reserve check uses, so
// a job can check its budget before starting.
func (c *Client) Limits(ctx context.Context) (used, max int64, err error) {
	var st Stats
	resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.dataPath("limits")})
	if err != nil {
		return 0, 0, fmt.Errorf("salesforce: limits: %w", err)
	}
	var l struct {
		DailyAPIRequests struct {
			Max       int64 `json:"Max"`
			Remaining int64 `json:"Remaining"`
		} `json:"DailyApiRequests"`
	}
	if err := json.Unmarshal(resp.body, &l); err != nil {
		return 0, 0, fmt.Errorf("salesforce: limits: %w", err)
	}
	max = l.DailyAPIRequests.Max
	used = max - l.DailyAPIRequests.Remaining
	c.mu.Lock()
	c.apiUsed, c.apiMax = used, max
	c.mu.Unlock()
	return used, max, nil
}
