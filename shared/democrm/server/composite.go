package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// maxCollection is the sObject Collections limit: 200 records a request.
const maxCollection = 200

// saveResult is one record's outcome, as Salesforce answers an sObject
// Collections request.
type saveResult struct {
	ID      string      `json:"id,omitempty"`
	Success bool        `json:"success"`
	Errors  []saveError `json:"errors"`
}

type saveError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// compositeUpdate serves PATCH composite/sobjects: update up to 200
// records, each {"attributes":{"type":…},"id":…,<field>:<value>…}, and
// answer one result per record in request order. Only allOrNone false is
// served (each record succeeds or fails on its own), which is what the
// write-back sends; allOrNone true is refused.
func (s *Server) compositeUpdate(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var req struct {
		AllOrNone bool                         `json:"allOrNone"`
		Records   []map[string]json.RawMessage `json:"records"`
	}
	if err := dec.Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "JSON_PARSER_ERROR", err.Error())
		return
	}
	switch {
	case req.AllOrNone:
		s.fail(w, http.StatusBadRequest, "FEATURE_NOT_ENABLED", "democrm serves sObject Collections with allOrNone false only")
		return
	case len(req.Records) == 0:
		s.fail(w, http.StatusBadRequest, "INVALID_FIELD", "records: at least one record is required")
		return
	case len(req.Records) > maxCollection:
		s.fail(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxCollection))
		return
	}
	out := make([]saveResult, len(req.Records))
	for i, rec := range req.Records {
		out[i] = s.updateOne(rec)
	}
	s.writeJSON(w, out)
}

func (s *Server) updateOne(rec map[string]json.RawMessage) saveResult {
	bad := func(id, code, msg string, fields ...string) saveResult {
		return saveResult{ID: id, Errors: []saveError{{StatusCode: code, Message: msg, Fields: append([]string{}, fields...)}}}
	}
	var id string
	if err := json.Unmarshal(rec["id"], &id); err != nil || id == "" {
		return bad("", "MISSING_ARGUMENT", "Id not specified in an update call", "Id")
	}
	var attrs struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(rec["attributes"], &attrs); err != nil || attrs.Type == "" {
		return bad(id, "INVALID_TYPE", "attributes.type is required")
	}
	obj, ok := s.org.Object(attrs.Type)
	if !ok {
		return bad(id, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", attrs.Type))
	}
	fields := map[string]any{}
	for name, raw := range rec {
		if name == "id" || name == "attributes" {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return bad(id, "JSON_PARSER_ERROR", err.Error(), name)
		}
		if n, ok := v.(json.Number); ok {
			// Whole numbers as int64, others as a decimal string (the
			// org's Update takes either).
			if k, err := n.Int64(); err == nil {
				v = k
			} else {
				v = n.String()
			}
		}
		fields[name] = v
	}
	if err := s.org.Update(obj, id, fields); err != nil {
		code := "INVALID_FIELD"
		if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "was deleted") {
			code = "ENTITY_IS_DELETED"
		}
		return bad(id, code, err.Error())
	}
	return saveResult{ID: id, Success: true, Errors: []saveError{}}
}
