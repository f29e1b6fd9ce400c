package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Record is one record of a query's results as received, with where it
// was: the extract quarantines a bad one by these coordinates and carries
// on with the rest of the page.
type Record struct {
	// Raw is the record's text: a REST element of "records" (any JSON
	// value, its bytes as sent, invalid UTF-8 included) or a Bulk CSV row.
	Raw []byte
	// Cells are a Bulk CSV row's cells (nil for REST, and for a row that
	// could not be split).
	Cells []string
	// Page is the 1-based results page of the call; Index the 0-based
	// position of the record in its page.
	Page, Index int
	// Err says why the record could not even be split out: a REST element
	// that is not a JSON object, a CSV row with bad quoting or the wrong
	// number of cells. The record is still delivered, for quarantine.
	Err error
}

// Query runs a SOQL query through the REST API and calls fn with each
// record's raw JSON, page by page, following nextRecordsUrl to the end.
// record is valid only during the call. An element of "records" that is
// not a well-formed object (invalid UTF-8, a duplicate key, a number) is
// passed on as it is: the caller's decoder says what is wrong with it. An
// error from fn stops the query and is returned wrapped.
func (c *Client) Query(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error) {
	return c.query(ctx, "query", soql, func(r Record) error { return fn(r.Raw) })
}

// QueryAll is Query through /queryAll: soft-deleted records (IsDeleted =
// true) are included. Hard-deleted records (CampaignMember,
// OpportunitySplit) never are.
func (c *Client) QueryAll(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error) {
	return c.query(ctx, "queryAll", soql, func(r Record) error { return fn(r.Raw) })
}

// QueryRecords is Query (all: QueryAll) delivering each record with its
// page and position. Only a broken envelope (not JSON, a body cut short,
// no records array or done flag) fails the call; a bad element is
// delivered with Err set and the page goes on.
func (c *Client) QueryRecords(ctx context.Context, soql string, all bool, fn func(Record) error) (Stats, error) {
	resource := "query"
	if all {
		resource = "queryAll"
	}
	return c.query(ctx, resource, soql, fn)
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

func (c *Client) query(ctx context.Context, resource, soql string, fn func(Record) error) (Stats, error) {
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
		p, err := decodePage(resp.body, func(rec Record) error {
			st.Records++
			rec.Page = st.Pages
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
// for paging. fn nil skips the records (a COUNT() response need not have
// any).
//
// The envelope is read tolerating invalid UTF-8 and duplicate names, so
// that one bad record cannot hide the others: each element is cut out as
// sent and judged on its own by the caller's strict decoder. What cannot
// be tolerated is a broken envelope: not JSON, cut short, a syntax error
// (the element boundaries are lost), a duplicate envelope member, or no
// records or done.
func decodePage(body []byte, fn func(Record) error) (page, error) {
	var p page
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return p, fmt.Errorf("query response is not a JSON object: %.120q", body)
	}
	seen := map[string]bool{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return p, fmt.Errorf("query response: %w", err)
		}
		name := tok.String()
		if seen[name] {
			return p, fmt.Errorf("query response: duplicate member %q", name)
		}
		seen[name] = true
		switch name {
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
			p.done = v.Bool()
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
	if _, err := dec.ReadToken(); err != io.EOF {
		return p, errors.New("query response: data after the JSON object")
	}
	switch {
	case !seen["done"]:
		return p, errors.New("query response has no done flag")
	case fn != nil && !seen["records"]:
		return p, errors.New("query response has no records array")
	case !p.done && p.next == "":
		return p, errors.New("query response is not done but has no nextRecordsUrl")
	case p.done:
		p.next = ""
	}
	return p, nil
}

func decodeRecords(dec *jsontext.Decoder, fn func(Record) error) error {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return errors.New("query response: records is not an array")
	}
	for i := 0; dec.PeekKind() != ']'; i++ {
		v, err := dec.ReadValue()
		if err != nil {
			return fmt.Errorf("query response: record %d: %w", i+1, err)
		}
		if fn == nil {
			continue
		}
		r := Record{Raw: v, Index: i}
		if k := v.Kind(); k != '{' {
			r.Err = fmt.Errorf("a JSON %s, not an object", kindName(k))
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '[':
		return "array"
	}
	return "value"
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
	// Precision and Scale are a number field's digits; Scale is nil when
	// the describe does not give it.
	Precision int  `json:"precision"`
	Scale     *int `json:"scale"`
	Length    int  `json:"length"`
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
